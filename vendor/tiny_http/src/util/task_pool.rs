use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::Duration;

type Task = Box<dyn FnMut() + Send>;

/// Manages a collection of threads.
///
/// A new thread is created every time all the existing threads are busy.
/// Any idle thread above `MIN_THREADS` dies after a few seconds.
///
/// minicrm patch: the bookkeeping is done under one lock. Upstream decided in `spawn` from a
/// count of waiting threads that a woken thread decremented only once it had retaken the lock,
/// so a burst of connections was queued for threads that had already been promised a task;
/// since a task serves a whole keep-alive connection, those connections were not read until
/// another one closed (30 s with an idle timeout).
pub struct TaskPool {
    sharing: Arc<Sharing>,
}

struct Sharing {
    state: Mutex<State>,
    // notified whenever a task is added to `todo`, and when the pool is dropped
    condvar: Condvar,
}

struct State {
    // tasks waiting for a thread; each one has been promised to a waiting thread
    todo: VecDeque<Task>,
    // waiting threads that no queued task has been promised to: the threads blocked for a
    // task minus `todo.len()`. `spawn` queues a task only while this is above zero.
    idle: usize,
    // threads alive
    threads: usize,
    // set when the pool is dropped: idle threads end
    closing: bool,
}

/// Minimum number of threads kept waiting.
const MIN_THREADS: usize = 4;

/// How long a thread above `MIN_THREADS` waits for a task before it ends.
const IDLE_TIMEOUT: Duration = Duration::from_secs(5);

/// Counts a thread out when it ends, even by a panic.
struct ThreadGuard<'a>(&'a Sharing);

impl Drop for ThreadGuard<'_> {
    fn drop(&mut self) {
        if let Ok(mut state) = self.0.state.lock() {
            state.threads -= 1;
        }
    }
}

impl TaskPool {
    pub fn new() -> TaskPool {
        let pool = TaskPool {
            sharing: Arc::new(Sharing {
                state: Mutex::new(State {
                    todo: VecDeque::new(),
                    idle: 0,
                    threads: 0,
                    closing: false,
                }),
                condvar: Condvar::new(),
            }),
        };

        for _ in 0..MIN_THREADS {
            pool.sharing.state.lock().unwrap().threads += 1;
            pool.add_thread(None)
        }

        pool
    }

    /// Executes a function in a thread.
    /// If no thread is available, spawns a new one.
    pub fn spawn(&self, code: Task) {
        let mut state = self.sharing.state.lock().unwrap();

        if state.idle > 0 {
            state.idle -= 1;
            state.todo.push_back(code);
            drop(state);
            self.sharing.condvar.notify_one();
        } else {
            state.threads += 1;
            drop(state);
            self.add_thread(Some(code));
        }
    }

    /// Starts a thread; the caller has already counted it in `threads`.
    fn add_thread(&self, initial_fn: Option<Task>) {
        let sharing = self.sharing.clone();

        let spawned = thread::Builder::new().spawn(move || {
            let _guard = ThreadGuard(&sharing);

            if let Some(mut f) = initial_fn {
                f();
            }

            while let Some(mut task) = Self::next_task(&sharing) {
                task();
            }
        });

        if let Err(e) = spawned {
            // The task (a connection) is dropped with the closure, which closes it.
            log::error!("could not start a thread: {}", e);
            self.sharing.state.lock().unwrap().threads -= 1;
        }
    }

    /// Waits for the next task; `None` when this thread should end.
    fn next_task(sharing: &Sharing) -> Option<Task> {
        let mut state = sharing.state.lock().unwrap();
        let mut waiting = false;

        loop {
            if let Some(task) = state.todo.pop_front() {
                if !waiting {
                    // This thread was not among the waiting ones, so the one the task was
                    // promised to stays free.
                    state.idle += 1;
                }
                return Some(task);
            }

            if !waiting {
                state.idle += 1;
                waiting = true;
            }

            if state.closing {
                state.idle -= 1;
                return None;
            }

            if state.threads <= MIN_THREADS {
                state = sharing.condvar.wait(state).unwrap();
            } else {
                let (new_state, result) = sharing
                    .condvar
                    .wait_timeout(state, IDLE_TIMEOUT)
                    .unwrap();
                state = new_state;
                if result.timed_out() && state.todo.is_empty() {
                    state.idle -= 1;
                    return None;
                }
            }
        }
    }
}

#[cfg(test)]
impl TaskPool {
    /// Waiting threads that no task has been promised to.
    fn idle(&self) -> usize {
        self.sharing.state.lock().unwrap().idle
    }
}

impl Drop for TaskPool {
    fn drop(&mut self) {
        self.sharing.state.lock().unwrap().closing = true;
        self.sharing.condvar.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::TaskPool;
    use std::sync::mpsc;
    use std::sync::{Arc, Condvar, Mutex};
    use std::time::Duration;

    /// Long-running tasks (connections) spawned in a burst each get a thread at once.
    #[test]
    fn a_burst_of_long_tasks_all_run_together() {
        let pool = TaskPool::new();
        // As in a server that has been up a while: the first threads are waiting.
        while pool.idle() < super::MIN_THREADS {
            std::thread::yield_now();
        }
        let gate = Arc::new((Mutex::new(false), Condvar::new()));
        let (started_tx, started_rx) = mpsc::channel();
        for _ in 0..64 {
            let gate = gate.clone();
            let started_tx = started_tx.clone();
            pool.spawn(Box::new(move || {
                started_tx.send(()).unwrap();
                // Holds its thread until every task has started.
                let (open, condvar) = &*gate;
                let mut open = open.lock().unwrap();
                while !*open {
                    open = condvar.wait(open).unwrap();
                }
            }));
        }
        for n in 0..64 {
            started_rx
                .recv_timeout(Duration::from_secs(10))
                .unwrap_or_else(|_| panic!("only {} of 64 tasks started", n));
        }
        *gate.0.lock().unwrap() = true;
        gate.1.notify_all();
    }
}
