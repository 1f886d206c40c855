//! Background jobs: work that runs on a schedule instead of per request (scheduled backups,
//! expired-session clean-up, search-index merging, the reminders, the inbox's watched folder and
//! IMAP mailbox). The server
//! registers each job with a name, an interval, a function and its [`Thread`]: the short
//! upkeep jobs share one thread and run in turn when they are due; a job that may take minutes
//! or wait on another machine (a backup, an SMTP or IMAP server) has a thread and a connection
//! of its own, so that nothing else waits for it. What each job last did (start, finish,
//! duration, error) and when it runs next is kept in memory in a shared [`Health`], which the
//! settings page shows.
//!
//! Besides the jobs, the shared thread runs light work that must not wait for a job's interval
//! after every turn ([`Jobs::after_each_turn`]): the WAL checkpoint once the server is idle.
//!
//! The first turn runs every job at once. A job that fails keeps its error and is tried again
//! at its next turn; a job that panics is caught and recorded the same way, and the thread and
//! the other jobs go on. The thread looks at the shutdown flag between turns, every [`POLL`].

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use rusqlite::Connection;

use crate::error::Result;

/// How often each jobs thread looks at the clock and the shutdown flag.
pub(crate) const POLL: Duration = Duration::from_millis(200);

/// What a job does at its turn: given the thread's own connection and the time of the turn.
/// It answers what it did (see [`Done`]).
pub(crate) type JobFn = Box<dyn FnMut(&mut Connection, DateTime<Utc>) -> Result<Done> + Send>;

/// Counts labelled by i18n keys (`jobs.delivered` → 3).
pub(crate) type Counts = Vec<(&'static str, u64)>;

/// What a job's run did: counts, added up on the settings page, and whether it stopped with
/// work left (then it runs again at the next turn instead of after its interval).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Done {
    pub counts: Counts,
    pub more: bool,
}

/// Light work run on the shared thread after every turn (every `POLL`), never while one of its
/// jobs runs.
pub(crate) type TurnFn = Box<dyn FnMut(&mut Connection) + Send>;

/// One job as seen from outside: its name, its last run and its next one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JobStatus {
    /// The job's name, an i18n key (`jobs.backups`) so that pages can show it in either language.
    pub name: &'static str,
    pub every: Duration,
    pub last_start: Option<DateTime<Utc>>,
    pub last_finish: Option<DateTime<Utc>>,
    pub last_duration: Option<Duration>,
    /// Why the last run failed; `None` when it succeeded or there has been none.
    pub last_error: Option<String>,
    /// When the job runs next; `None` until the thread's first turn, which runs every job.
    pub next_run: Option<DateTime<Utc>>,
    pub running: bool,
    pub runs: u64,
    pub failures: u64,
    /// What the runs did since the server started, added up, for jobs that count (empty for
    /// the others): what one run did is mostly nothing, the total tells the story.
    pub counts: Counts,
}

/// The jobs' state, shared between the jobs' threads (which write it) and the pages (which read
/// it).
#[derive(Debug, Default)]
pub(crate) struct Health {
    jobs: Mutex<Vec<JobStatus>>,
}

impl Health {
    fn lock(&self) -> MutexGuard<'_, Vec<JobStatus>> {
        // Jobs run outside the lock, so it is never poisoned by a job; be lenient anyway.
        self.jobs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every job's state, in the order they were registered.
    pub(crate) fn snapshot(&self) -> Vec<JobStatus> {
        self.lock().clone()
    }

    /// One job's state by name (the tests look jobs up so).
    #[cfg(test)]
    pub(crate) fn get(&self, name: &str) -> Option<JobStatus> {
        self.lock().iter().find(|j| j.name == name).cloned()
    }

    fn update(&self, index: usize, change: impl FnOnce(&mut JobStatus)) {
        if let Some(status) = self.lock().get_mut(index) {
            change(status);
        }
    }
}

/// Which thread runs a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Thread {
    /// The jobs' shared thread, in turn with the other short jobs.
    Shared,
    /// A thread of its own, for a job that may take minutes or wait on another machine.
    Own,
}

struct Job {
    name: &'static str,
    every: TimeDelta,
    thread: Thread,
    run: JobFn,
    next: Option<DateTime<Utc>>,
    /// Its place in [`Health`].
    index: usize,
}

/// The registered jobs; `spawn` hands them to their threads.
pub(crate) struct Jobs {
    jobs: Vec<Job>,
    health: Arc<Health>,
    after_turn: Vec<TurnFn>,
}

impl Default for Jobs {
    fn default() -> Jobs {
        Jobs::new()
    }
}

impl Jobs {
    pub(crate) fn new() -> Jobs {
        Jobs {
            jobs: Vec::new(),
            health: Arc::new(Health::default()),
            after_turn: Vec::new(),
        }
    }

    /// The state every job records, for whoever shows it.
    pub(crate) fn health(&self) -> Arc<Health> {
        self.health.clone()
    }

    /// Registers a job that runs at the first turn and then every `every`, counted from the
    /// start of its previous run, on `thread`. `name` is the i18n key of its label.
    pub(crate) fn every(
        &mut self,
        name: &'static str,
        every: Duration,
        thread: Thread,
        mut run: impl FnMut(&mut Connection, DateTime<Utc>) -> Result<()> + Send + 'static,
    ) -> &mut Jobs {
        self.every_counting(name, every, thread, move |conn, now| {
            run(conn, now).map(|()| Done::default())
        })
    }

    /// Like [`Jobs::every`], for a job that says what it did: counts, and whether work is left
    /// that should not wait for the interval.
    pub(crate) fn every_counting(
        &mut self,
        name: &'static str,
        every: Duration,
        thread: Thread,
        run: impl FnMut(&mut Connection, DateTime<Utc>) -> Result<Done> + Send + 'static,
    ) -> &mut Jobs {
        let mut health = self.health.lock();
        let index = health.len();
        health.push(JobStatus {
            name,
            every,
            last_start: None,
            last_finish: None,
            last_duration: None,
            last_error: None,
            next_run: None,
            running: false,
            runs: 0,
            failures: 0,
            counts: Counts::new(),
        });
        drop(health);
        self.jobs.push(Job {
            name,
            every: TimeDelta::from_std(every).unwrap_or(TimeDelta::MAX),
            thread,
            run: Box::new(run),
            next: None,
            index,
        });
        self
    }

    /// Registers light work to run on the shared thread after every turn, between its jobs (so
    /// never while one of them runs). It reports its own failures; it is not shown as a job.
    pub(crate) fn after_each_turn(
        &mut self,
        run: impl FnMut(&mut Connection) + Send + 'static,
    ) -> &mut Jobs {
        self.after_turn.push(Box::new(run));
        self
    }

    /// One turn of every job, whatever its thread: runs, in order, every job that is due at
    /// `now`, and records how each went. Returns how many ran.
    #[cfg(test)]
    pub(crate) fn run_due(&mut self, conn: &mut Connection, now: DateTime<Utc>) -> usize {
        run_due(&mut self.jobs, &self.health, conn, now)
    }

    /// Starts the jobs' threads: the shared one (when it has work) and one for each job on
    /// [`Thread::Own`], each with a connection from `open`. Every thread runs a turn every
    /// `POLL` until `shutdown` is set.
    pub(crate) fn spawn(
        self,
        open: impl Fn() -> rusqlite::Result<Connection>,
        shutdown: Arc<AtomicBool>,
    ) -> std::io::Result<Vec<JoinHandle<()>>> {
        let Jobs {
            jobs,
            health,
            after_turn,
        } = self;
        let (shared, own): (Vec<Job>, Vec<Job>) =
            jobs.into_iter().partition(|j| j.thread == Thread::Shared);
        let mut threads = vec![("jobs".to_string(), shared, after_turn)];
        for job in own {
            // "jobs.backups" runs on "backups" (a thread's name holds 15 bytes).
            let name = job.name.trim_start_matches("jobs.").to_string();
            threads.push((name, vec![job], Vec::new()));
        }
        threads.retain(|(_, jobs, after_turn)| !jobs.is_empty() || !after_turn.is_empty());
        // Every connection first: a start that fails leaves no thread running.
        let conns = threads
            .iter()
            .map(|_| open())
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(std::io::Error::other)?;
        let mut started = Vec::new();
        for ((name, mut jobs, mut after_turn), mut conn) in threads.into_iter().zip(conns) {
            let (health, stop) = (health.clone(), shutdown.clone());
            let spawned = std::thread::Builder::new().name(name).spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    run_due(&mut jobs, &health, &mut conn, Utc::now());
                    for run in &mut after_turn {
                        run(&mut conn);
                    }
                    std::thread::sleep(POLL);
                }
            });
            match spawned {
                Ok(thread) => started.push(thread),
                Err(e) => {
                    shutdown.store(true, Ordering::SeqCst);
                    for thread in started {
                        let _ = thread.join();
                    }
                    return Err(e);
                }
            }
        }
        Ok(started)
    }
}

/// One turn of `jobs`: runs, in order, every one that is due at `now`, and records how each
/// went in `health`. Returns how many ran.
fn run_due(jobs: &mut [Job], health: &Health, conn: &mut Connection, now: DateTime<Utc>) -> usize {
    let mut ran = 0;
    for job in jobs.iter_mut() {
        if job.next.is_some_and(|next| next > now) {
            continue;
        }
        ran += 1;
        health.update(job.index, |s| {
            s.running = true;
            s.last_start = Some(now);
        });
        let started = Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(|| (job.run)(conn, now)));
        let took = started.elapsed();
        let (error, done) = match outcome {
            Ok(Ok(done)) => (None, done),
            Ok(Err(e)) => (Some(e.to_string()), Done::default()),
            Err(panic) => (
                Some(format!("panicked: {}", panic_text(panic.as_ref()))),
                Done::default(),
            ),
        };
        match &error {
            Some(e) => log::error!("background job {} failed: {e}", job.name),
            None => log::debug!("background job {} ran in {took:?}", job.name),
        }
        // Work left over runs at the next turn (one `POLL` on), else after the interval.
        let next = if done.more {
            Some(now)
        } else {
            now.checked_add_signed(job.every)
        };
        job.next = Some(next.unwrap_or(DateTime::<Utc>::MAX_UTC));
        health.update(job.index, |s| {
            s.running = false;
            s.last_finish = Some(now + TimeDelta::from_std(took).unwrap_or_default());
            s.last_duration = Some(took);
            s.failures += u64::from(error.is_some());
            s.last_error = error;
            for (key, n) in done.counts {
                match s.counts.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, total)) => *total += n,
                    None => s.counts.push((key, n)),
                }
            }
            s.next_run = next;
            s.runs += 1;
        });
    }
    ran
}

/// The message of a caught panic, when it has one.
fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    use crate::error::Error;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    fn counter() -> (Arc<AtomicUsize>, Arc<AtomicUsize>) {
        let n = Arc::new(AtomicUsize::new(0));
        (n.clone(), n)
    }

    #[test]
    fn a_job_runs_at_the_first_turn_then_when_due_and_not_before() {
        let mut conn = Connection::open_in_memory().unwrap();
        let (runs, seen) = counter();
        let mut jobs = Jobs::new();
        jobs.every(
            "jobs.backups",
            Duration::from_secs(600),
            Thread::Shared,
            move |_, _| {
                seen.fetch_add(1, Ordering::SeqCst);
                Ok(())
            },
        );
        let health = jobs.health();
        assert_eq!(health.get("jobs.backups").unwrap().next_run, None);

        let t0 = at("2026-11-30T10:00:00Z");
        assert_eq!(jobs.run_due(&mut conn, t0), 1);
        let status = health.get("jobs.backups").unwrap();
        assert_eq!(status.last_start, Some(t0));
        assert_eq!(status.next_run, Some(at("2026-11-30T10:10:00Z")));
        assert_eq!((status.runs, status.last_error), (1, None));

        for not_yet in ["2026-11-30T10:00:01Z", "2026-11-30T10:09:59Z"] {
            assert_eq!(jobs.run_due(&mut conn, at(not_yet)), 0, "{not_yet}");
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert_eq!(jobs.run_due(&mut conn, at("2026-11-30T10:10:00Z")), 1);
        assert_eq!(runs.load(Ordering::SeqCst), 2);
        // A late turn counts the next interval from the run that actually happened.
        assert_eq!(jobs.run_due(&mut conn, at("2026-11-30T10:25:00Z")), 1);
        assert_eq!(
            health.get("jobs.backups").unwrap().next_run,
            Some(at("2026-11-30T10:35:00Z"))
        );
    }

    #[test]
    fn a_job_with_work_left_runs_again_at_the_next_turn_and_its_counts_add_up() {
        let mut conn = Connection::open_in_memory().unwrap();
        let (calls, seen) = counter();
        let mut jobs = Jobs::new();
        jobs.every_counting(
            "jobs.reminders",
            Duration::from_secs(30),
            Thread::Shared,
            move |_, _| {
                let n = seen.fetch_add(1, Ordering::SeqCst);
                Ok(Done {
                    counts: vec![("jobs.delivered", 2)],
                    more: n == 0,
                })
            },
        );
        let health = jobs.health();
        assert_eq!(jobs.run_due(&mut conn, at("2026-11-30T10:00:00Z")), 1);
        // Work was left: the next turn runs it again, not 30 s later.
        assert_eq!(jobs.run_due(&mut conn, at("2026-11-30T10:00:01Z")), 1);
        assert_eq!(jobs.run_due(&mut conn, at("2026-11-30T10:00:02Z")), 0);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        let status = health.get("jobs.reminders").unwrap();
        assert_eq!(status.counts, [("jobs.delivered", 4)]);
        assert_eq!(status.next_run, Some(at("2026-11-30T10:00:31Z")));
    }

    #[test]
    fn a_failing_job_records_its_error_and_is_retried_at_its_next_turn() {
        let mut conn = Connection::open_in_memory().unwrap();
        let (calls, seen) = counter();
        let mut jobs = Jobs::new();
        jobs.every(
            "jobs.backups",
            Duration::from_secs(60),
            Thread::Shared,
            move |_, _| {
                if seen.fetch_add(1, Ordering::SeqCst) == 0 {
                    Err(Error::Internal("the disk is full".into()))
                } else {
                    Ok(())
                }
            },
        );
        let health = jobs.health();
        let t0 = at("2026-11-30T10:00:00Z");
        jobs.run_due(&mut conn, t0);
        let failed = health.get("jobs.backups").unwrap();
        assert_eq!(failed.last_error.as_deref(), Some("the disk is full"));
        assert_eq!((failed.runs, failed.failures), (1, 1));
        assert!(!failed.running);
        assert_eq!(failed.next_run, Some(at("2026-11-30T10:01:00Z")));

        assert_eq!(jobs.run_due(&mut conn, at("2026-11-30T10:00:30Z")), 0);
        jobs.run_due(&mut conn, at("2026-11-30T10:01:00Z"));
        let retried = health.get("jobs.backups").unwrap();
        assert_eq!(retried.last_error, None);
        assert_eq!((retried.runs, retried.failures), (2, 1));
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn a_panicking_job_is_recorded_and_the_others_still_run() {
        let mut conn = Connection::open_in_memory().unwrap();
        let (after, seen) = counter();
        let mut jobs = Jobs::new();
        jobs.every(
            "jobs.backups",
            Duration::from_secs(60),
            Thread::Shared,
            |_, _| panic!("a job panicked on purpose"),
        )
        .every(
            "jobs.session_cleanup",
            Duration::from_secs(60),
            Thread::Shared,
            move |conn, _| {
                conn.execute_batch("SELECT 1")?;
                seen.fetch_add(1, Ordering::SeqCst);
                Ok(())
            },
        );
        let health = jobs.health();
        for turn in ["2026-11-30T10:00:00Z", "2026-11-30T10:01:00Z"] {
            assert_eq!(jobs.run_due(&mut conn, at(turn)), 2);
        }
        let panicked = health.get("jobs.backups").unwrap();
        assert_eq!(
            panicked.last_error.as_deref(),
            Some("panicked: a job panicked on purpose")
        );
        assert_eq!((panicked.runs, panicked.failures), (2, 2));
        assert!(!panicked.running);
        let other = health.get("jobs.session_cleanup").unwrap();
        assert_eq!((other.runs, other.last_error), (2, None));
        assert_eq!(after.load(Ordering::SeqCst), 2);
        let names: Vec<_> = health.snapshot().iter().map(|j| j.name).collect();
        assert_eq!(names, ["jobs.backups", "jobs.session_cleanup"]);
    }

    /// Waits (up to 10 s) until `done` holds.
    fn wait_until(what: &str, done: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !done() {
            assert!(Instant::now() < deadline, "{what}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    #[test]
    fn the_thread_runs_the_first_turn_at_once_and_stops_on_the_flag() {
        let mut jobs = Jobs::new();
        jobs.every(
            "jobs.backups",
            Duration::from_secs(3600),
            Thread::Shared,
            |_, _| Ok(()),
        );
        let health = jobs.health();
        let shutdown = Arc::new(AtomicBool::new(false));
        let threads = jobs
            .spawn(Connection::open_in_memory, shutdown.clone())
            .unwrap();
        assert_eq!(threads.len(), 1);
        wait_until("the first turn did not run", || {
            health.get("jobs.backups").unwrap().runs > 0
        });
        shutdown.store(true, Ordering::SeqCst);
        for thread in threads {
            thread.join().unwrap();
        }
    }

    /// A backup that takes minutes, or a mailbox that does not answer, holds up no other job:
    /// while one job on its own thread is stuck, the shared thread's jobs and the light work
    /// after its turns go on.
    #[test]
    fn a_job_on_its_own_thread_holds_up_no_other() {
        let (release, stuck) = std::sync::mpsc::channel::<()>();
        let (tell_thread, backups_thread) = std::sync::mpsc::channel();
        let (cleanups, seen) = counter();
        let (turns, after) = counter();
        let mut jobs = Jobs::new();
        jobs.every(
            "jobs.backups",
            Duration::from_secs(3600),
            Thread::Own,
            move |_, _| {
                let name = std::thread::current().name().map(str::to_string);
                tell_thread.send(name).ok();
                stuck.recv().ok();
                Ok(())
            },
        )
        .every(
            "jobs.session_cleanup",
            Duration::ZERO,
            Thread::Shared,
            move |conn, _| {
                conn.execute_batch("SELECT 1")?;
                seen.fetch_add(1, Ordering::SeqCst);
                Ok(())
            },
        )
        .after_each_turn(move |_| {
            after.fetch_add(1, Ordering::SeqCst);
        });
        let health = jobs.health();
        let shutdown = Arc::new(AtomicBool::new(false));
        let threads = jobs
            .spawn(Connection::open_in_memory, shutdown.clone())
            .unwrap();
        assert_eq!(threads.len(), 2);
        let name = backups_thread
            .recv_timeout(Duration::from_secs(10))
            .unwrap();
        assert_eq!(name.as_deref(), Some("backups"));
        wait_until("the clean-up waited for the backup", || {
            cleanups.load(Ordering::SeqCst) >= 3 && turns.load(Ordering::SeqCst) >= 3
        });
        let backup = health.get("jobs.backups").unwrap();
        assert!(backup.running && backup.runs == 0, "{backup:?}");
        assert_eq!(health.get("jobs.session_cleanup").unwrap().last_error, None);
        release.send(()).unwrap();
        wait_until("the backup did not finish", || {
            health.get("jobs.backups").unwrap().runs == 1
        });
        shutdown.store(true, Ordering::SeqCst);
        for thread in threads {
            thread.join().unwrap();
        }
    }
}
