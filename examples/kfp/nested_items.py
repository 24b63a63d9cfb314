"""Nested ParallelFor over a list of dicts: the inner loop runs over a field
of the outer item (`g.p_a`), its tasks read fields of both items."""
from typing import List

from kfp import compiler, dsl

GROUPS = [
    {"p_a": [{"q_a": "1"}, {"q_a": "2"}], "p_b": "hello"},
    {"p_a": [{"q_a": "11"}], "p_b": "halo"},
]


@dsl.component(base_image="python:3.11")
def label(q: str, b: str) -> str:
    return f"{b}:{q}"


@dsl.component(base_image="python:3.11")
def join(xs: List[str]) -> str:
    return ",".join(sorted(xs))


@dsl.pipeline(name="nested-items")
def nested_items(groups: list = GROUPS) -> str:
    with dsl.ParallelFor(groups) as g:
        with dsl.ParallelFor(g.p_a) as p:
            t = label(q=p.q_a, b=g.p_b)
    return join(xs=dsl.Collected(t.output)).output


if __name__ == "__main__":
    compiler.Compiler().compile(nested_items, __file__.replace(".py", ".yaml"))
