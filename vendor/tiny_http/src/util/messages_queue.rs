use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

enum Control<T> {
    Elem(T),
    Unblock,
}

pub struct MessagesQueue<T>
where
    T: Send,
{
    queue: Mutex<VecDeque<Control<T>>>,
    condvar: Condvar,
}

impl<T> MessagesQueue<T>
where
    T: Send,
{
    pub fn with_capacity(capacity: usize) -> Arc<MessagesQueue<T>> {
        Arc::new(MessagesQueue {
            queue: Mutex::new(VecDeque::with_capacity(capacity)),
            condvar: Condvar::new(),
        })
    }

    /// Pushes an element to the queue.
    pub fn push(&self, value: T) {
        let mut queue = self.queue.lock().unwrap();
        queue.push_back(Control::Elem(value));
        self.condvar.notify_one();
    }

    /// Unblock one thread stuck in pop loop.
    pub fn unblock(&self) {
        let mut queue = self.queue.lock().unwrap();
        queue.push_back(Control::Unblock);
        self.condvar.notify_one();
    }

    /// Pops an element. Blocks until one is available.
    /// Returns None in case unblock() was issued.
    pub fn pop(&self) -> Option<T> {
        let mut queue = self.queue.lock().unwrap();

        loop {
            match queue.pop_front() {
                Some(Control::Elem(value)) => return Some(value),
                Some(Control::Unblock) => return None,
                None => (),
            }

            queue = self.condvar.wait(queue).unwrap();
        }
    }

    /// Tries to pop an element without blocking.
    pub fn try_pop(&self) -> Option<T> {
        let mut queue = self.queue.lock().unwrap();
        match queue.pop_front() {
            Some(Control::Elem(value)) => Some(value),
            Some(Control::Unblock) | None => None,
        }
    }

    /// Tries to pop an element without blocking
    /// more than the specified timeout duration
    /// or unblock() was issued
    ///
    /// minicrm patch: the queue is looked at again after every wake-up, the last one
    /// included. Upstream returned `None` as soon as the wait reported a timeout, without
    /// looking, so an element whose `notify_one` had gone to a waiter timing out at that
    /// moment stayed in the queue with no one woken for it. It also restarted the whole
    /// timeout after every spurious wake-up.
    pub fn pop_timeout(&self, timeout: Duration) -> Option<T> {
        let deadline = Instant::now() + timeout;
        let mut queue = self.queue.lock().unwrap();
        loop {
            match queue.pop_front() {
                Some(Control::Elem(value)) => return Some(value),
                Some(Control::Unblock) => return None,
                None => (),
            }
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            queue = self.condvar.wait_timeout(queue, deadline - now).unwrap().0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::MessagesQueue;
    use std::time::Duration;

    #[test]
    fn pop_timeout_returns_an_element_or_none() {
        let queue = MessagesQueue::with_capacity(1);
        assert_eq!(queue.pop_timeout(Duration::from_millis(1)), None);
        queue.push(7);
        assert_eq!(queue.pop_timeout(Duration::from_millis(1)), Some(7));
        let pusher = {
            let queue = queue.clone();
            std::thread::spawn(move || queue.push(8))
        };
        assert_eq!(queue.pop_timeout(Duration::from_secs(10)), Some(8));
        pusher.join().unwrap();
    }
}
