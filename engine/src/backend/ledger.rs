//! Admission by resources: an attempt starts only when its CPU, memory and
//! GPU requests fit in what is free; the rest wait in arrival order.

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
};

use tokio::sync::Notify;

/// What an attempt asks for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Request {
    /// Thousandths of a core.
    pub cpu_milli: u64,
    /// Bytes.
    pub memory_bytes: u64,
    /// Whole GPUs.
    pub gpus: u32,
}

#[derive(Debug)]
struct Free {
    cpu_milli: u64,
    memory_bytes: u64,
    gpus: Vec<u32>,
    /// Waiters in arrival order; only the head may take resources (FIFO, no
    /// starvation of big requests), and only the head is woken.
    queue: VecDeque<(u64, Arc<Notify>)>,
    next_ticket: u64,
}

impl Free {
    fn fits(&self, request: &Request) -> bool {
        self.cpu_milli >= request.cpu_milli
            && self.memory_bytes >= request.memory_bytes
            && self.gpus.len() >= request.gpus as usize
    }

    fn wake_head(&self) {
        if let Some((_, notify)) = self.queue.front() {
            notify.notify_one();
        }
    }
}

/// The machine's capacity and what is in use.
#[derive(Clone, Debug)]
pub struct Ledger {
    capacity: Request,
    free: Arc<Mutex<Free>>,
    /// Seconds each request waited, until read.
    waits: Arc<Mutex<Vec<f64>>>,
}

/// Most wait times kept between reads.
pub const MAX_WAITS_KEPT: usize = 10_000;

/// Resources held by a running attempt; returned on drop.
#[derive(Debug)]
pub struct Grant {
    ledger: Ledger,
    request: Request,
    /// GPU indices given to the attempt.
    pub gpus: Vec<u32>,
}

/// A request bigger than the whole machine.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("requests {wanted} but this machine has {capacity}")]
pub struct DoesNotFit {
    /// What was asked, in words.
    pub wanted: String,
    /// What exists, in words.
    pub capacity: String,
}

/// Leaves the queue if the waiter is dropped before it was served.
struct Waiting<'a> {
    ledger: &'a Ledger,
    ticket: u64,
    served: bool,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        if !self.served {
            let mut free = self.ledger.free.lock().expect("ledger lock");
            let was_head = free.queue.front().is_some_and(|(t, _)| *t == self.ticket);
            free.queue.retain(|(t, _)| *t != self.ticket);
            if was_head {
                free.wake_head();
            }
        }
    }
}

impl Ledger {
    /// A ledger over `capacity`, with GPUs numbered `0..capacity.gpus`.
    pub fn new(capacity: Request) -> Self {
        Self {
            capacity,
            free: Arc::new(Mutex::new(Free {
                cpu_milli: capacity.cpu_milli,
                memory_bytes: capacity.memory_bytes,
                gpus: (0..capacity.gpus).collect(),
                queue: VecDeque::new(),
                next_ticket: 0,
            })),
            waits: Default::default(),
        }
    }

    /// This machine: all its cores and memory, no GPUs unless told.
    pub fn detect(gpus: u32) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
        let memory = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|m| {
                m.lines()
                    .find(|l| l.starts_with("MemTotal:"))
                    .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
            })
            .map_or(u64::MAX, |kib| kib * 1024);
        Self::new(Request { cpu_milli: cores * 1000, memory_bytes: memory, gpus })
    }

    /// What the machine has in all.
    pub fn capacity(&self) -> Request {
        self.capacity
    }

    /// GPUs no attempt or notebook holds right now.
    pub fn free_gpus(&self) -> u32 {
        self.free.lock().map_or(0, |free| free.gpus.len() as u32)
    }

    /// Waits until `request` fits, then holds it until the grant is dropped.
    /// Requests waiting for resources now.
    pub fn queue_depth(&self) -> usize {
        self.free.lock().map_or(0, |free| free.queue.len())
    }

    /// How long each request since the last call waited, in seconds (the
    /// newest [`MAX_WAITS_KEPT`] when nobody asked for a while).
    pub fn take_waits(&self) -> Vec<f64> {
        self.waits.lock().map(|mut w| std::mem::take(&mut *w)).unwrap_or_default()
    }

    fn note_wait(&self, since: std::time::Instant) {
        if let Ok(mut waits) = self.waits.lock() {
            if waits.len() >= MAX_WAITS_KEPT {
                waits.remove(0);
            }
            waits.push(since.elapsed().as_secs_f64());
        }
    }

    /// Waits until `request` fits, first come first served.
    pub async fn acquire(&self, request: Request) -> Result<Grant, DoesNotFit> {
        let capacity = self.capacity;
        if request.cpu_milli > capacity.cpu_milli
            || request.memory_bytes > capacity.memory_bytes
            || request.gpus > capacity.gpus
        {
            return Err(DoesNotFit {
                wanted: format!(
                    "{}m CPU, {} bytes memory, {} GPUs",
                    request.cpu_milli, request.memory_bytes, request.gpus
                ),
                capacity: format!(
                    "{}m CPU, {} bytes memory, {} GPUs",
                    capacity.cpu_milli, capacity.memory_bytes, capacity.gpus
                ),
            });
        }
        let asked = std::time::Instant::now();
        let notify = Arc::new(Notify::new());
        let ticket = {
            let mut free = self.free.lock().expect("ledger lock");
            if free.queue.is_empty() && free.fits(&request) {
                let grant = self.take(&mut free, request);
                drop(free);
                self.note_wait(asked);
                return Ok(grant);
            }
            let ticket = free.next_ticket;
            free.next_ticket += 1;
            free.queue.push_back((ticket, notify.clone()));
            ticket
        };
        let mut waiting = Waiting { ledger: self, ticket, served: false };
        loop {
            notify.notified().await;
            let mut free = self.free.lock().expect("ledger lock");
            let at_head = free.queue.front().is_some_and(|(t, _)| *t == ticket);
            if at_head && free.fits(&request) {
                free.queue.pop_front();
                waiting.served = true;
                let grant = self.take(&mut free, request);
                free.wake_head(); // the next one may fit in what is left
                drop(free);
                self.note_wait(asked);
                return Ok(grant);
            }
        }
    }

    /// Holds what work found running after a restart already uses: at
    /// once and without queueing (it runs whatever the ledger says), and
    /// the very GPUs `gpus` it was started with, those of them still free.
    pub fn reclaim(&self, request: Request, gpus: &[u32]) -> Grant {
        let mut free = self.free.lock().expect("ledger lock");
        let cpu_milli = request.cpu_milli.min(free.cpu_milli);
        let memory_bytes = request.memory_bytes.min(free.memory_bytes);
        let taken: Vec<u32> = gpus.iter().copied().filter(|g| free.gpus.contains(g)).collect();
        free.gpus.retain(|g| !taken.contains(g));
        free.cpu_milli -= cpu_milli;
        free.memory_bytes -= memory_bytes;
        let request = Request { cpu_milli, memory_bytes, gpus: taken.len() as u32 };
        Grant { ledger: self.clone(), request, gpus: taken }
    }

    fn take(&self, free: &mut Free, request: Request) -> Grant {
        free.cpu_milli -= request.cpu_milli;
        free.memory_bytes -= request.memory_bytes;
        let gpus = free.gpus.drain(..request.gpus as usize).collect();
        Grant { ledger: self.clone(), request, gpus }
    }
}

impl Drop for Grant {
    fn drop(&mut self) {
        let mut free = self.ledger.free.lock().expect("ledger lock");
        free.cpu_milli += self.request.cpu_milli;
        free.memory_bytes += self.request.memory_bytes;
        free.gpus.append(&mut self.gpus);
        free.gpus.sort_unstable();
        free.wake_head();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn waits_until_resources_are_returned_and_hands_out_gpus() {
        let ledger = Ledger::new(Request { cpu_milli: 1000, memory_bytes: 100, gpus: 2 });
        let a = ledger.acquire(Request { cpu_milli: 600, memory_bytes: 10, gpus: 1 }).await.unwrap();
        assert_eq!(a.gpus, [0]);
        let waiting = tokio::spawn({
            let ledger = ledger.clone();
            async move { ledger.acquire(Request { cpu_milli: 600, memory_bytes: 10, gpus: 1 }).await.unwrap().gpus.clone() }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        drop(a);
        assert_eq!(waiting.await.unwrap(), [0]);
    }

    #[tokio::test]
    async fn reclaimed_work_holds_its_own_gpus_at_once_and_gives_them_back() {
        let ledger = Ledger::new(Request { cpu_milli: 1000, memory_bytes: 100, gpus: 4 });
        let running = ledger.reclaim(Request { cpu_milli: 600, memory_bytes: 10, gpus: 2 }, &[1, 3]);
        assert_eq!(running.gpus, [1, 3], "the GPUs it was started with, not the first free ones");
        let next = ledger.acquire(Request { cpu_milli: 400, memory_bytes: 10, gpus: 2 }).await.unwrap();
        assert_eq!(next.gpus, [0, 2]);
        // More than is free is held as what is free: it runs regardless.
        let over = ledger.reclaim(Request { cpu_milli: 600, memory_bytes: 10, gpus: 1 }, &[0]);
        assert_eq!((over.request.cpu_milli, over.gpus.len()), (0, 0));
        drop((running, next, over));
        assert_eq!(ledger.free_gpus(), 4);
    }

    #[tokio::test]
    async fn a_waiter_that_gives_up_does_not_block_the_queue() {
        let ledger = Ledger::new(Request { cpu_milli: 1000, memory_bytes: 100, gpus: 0 });
        let held = ledger.acquire(Request { cpu_milli: 1000, ..Request::default() }).await.unwrap();
        let gave_up = tokio::time::timeout(
            std::time::Duration::from_millis(10),
            ledger.acquire(Request { cpu_milli: 1000, ..Request::default() }),
        )
        .await;
        assert!(gave_up.is_err());
        drop(held);
        ledger.acquire(Request { cpu_milli: 500, ..Request::default() }).await.unwrap();
    }

    #[tokio::test]
    async fn waiters_are_served_in_order_and_a_big_request_is_not_starved() {
        let ledger = Ledger::new(Request { cpu_milli: 1000, memory_bytes: 100, gpus: 0 });
        let held = ledger.acquire(Request { cpu_milli: 600, ..Request::default() }).await.unwrap();
        let big = tokio::spawn({
            let ledger = ledger.clone();
            async move { ledger.acquire(Request { cpu_milli: 1000, ..Request::default() }).await.map(drop) }
        });
        tokio::task::yield_now().await;
        // A small request that would fit now still queues behind the big one.
        let small = tokio::spawn({
            let ledger = ledger.clone();
            async move { ledger.acquire(Request { cpu_milli: 100, ..Request::default() }).await.map(drop) }
        });
        tokio::task::yield_now().await;
        assert!(!big.is_finished() && !small.is_finished());
        drop(held);
        big.await.unwrap().unwrap();
        small.await.unwrap().unwrap();
        // Many waiters: every one is served once resources come back.
        let held = ledger.acquire(Request { cpu_milli: 1000, ..Request::default() }).await.unwrap();
        let waiters: Vec<_> = (0..200)
            .map(|_| {
                let ledger = ledger.clone();
                tokio::spawn(
                    async move { ledger.acquire(Request { cpu_milli: 10, ..Request::default() }).await.map(drop) },
                )
            })
            .collect();
        drop(held);
        for waiter in waiters {
            waiter.await.unwrap().unwrap();
        }
    }

    #[tokio::test]
    async fn a_request_bigger_than_the_machine_is_refused() {
        let ledger = Ledger::new(Request { cpu_milli: 2000, memory_bytes: 100, gpus: 0 });
        let err = ledger.acquire(Request { cpu_milli: 64000, ..Request::default() }).await.unwrap_err();
        assert!(err.to_string().starts_with("requests 64000m CPU"), "{err}");
    }
}
