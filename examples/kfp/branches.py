"""Conditions as users write them: the classic flip-coin (branches read the
upstream task's output), If/Elif/Else whose branches return one output
through dsl.OneOf, nested conditions, and a condition on a parameter `y`."""
from kfp import compiler, dsl


@dsl.component(base_image="python:3.11", install_kfp_package=False)
def flip(seed: int) -> str:
    return "heads" if seed % 2 == 0 else "tails"


@dsl.component(base_image="python:3.11", install_kfp_package=False)
def roll(seed: int) -> int:
    return seed % 6 + 1


@dsl.component(base_image="python:3.11", install_kfp_package=False)
def say(text: str) -> str:
    print(text)
    return text


@dsl.component(base_image="python:3.11", install_kfp_package=False)
def shout(text: str, times: int) -> str:
    return (text.upper() + "!") * times


@dsl.pipeline(name="branches")
def branches(seed: int = 4, y: bool = True) -> str:
    coin = flip(seed=seed)
    with dsl.If(coin.output == "heads"):
        die = roll(seed=seed)
        with dsl.If(die.output > 3, name="high"):
            shout(text=coin.output, times=die.output)
        with dsl.Else(name="low"):
            say(text=coin.output)
    with dsl.If(coin.output == "tails"):
        say(text="it was tails")
    with dsl.If(y == True):  # noqa: E712  (KFP compares pipeline channels, not Python values)
        say(text="y is on")
    with dsl.If(coin.output == "edge"):
        a = say(text="edge")
    with dsl.Elif(coin.output == "heads"):
        b = shout(text="heads", times=2)
    with dsl.Else():
        c = say(text="tails again")
    return dsl.OneOf(a.output, b.output, c.output)


if __name__ == "__main__":
    compiler.Compiler().compile(branches, "branches.yaml")
