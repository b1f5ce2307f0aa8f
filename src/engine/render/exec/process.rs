//! One run of a function binary: started directly (no shell, no arguments, an environment of
//! `PATH` only) in a process group of its own, the input written to its stdin, its stdout
//! collected up to a limit and its stderr up to another. A run that outlasts its timeout, or
//! writes more than the limit to stdout, has its whole process group killed (so that children
//! it started cannot keep the pipes open).

use std::io::{self, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStderr, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread;
use std::time::{Duration, Instant};

/// How long, after a kill, the run waits for the process to be reaped and the pipes to close.
const AFTER_KILL: Duration = Duration::from_secs(2);

/// The bounds of one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    /// How long the run may take, pipes closed included.
    pub timeout: Duration,
    /// The most stdout kept; more ends the run.
    pub max_output: usize,
    /// The most stderr kept; the rest is read and dropped.
    pub max_stderr: usize,
}

/// How a run ended.
#[derive(Debug)]
pub(crate) enum Ending {
    /// The process exited (or was killed by someone else) with this status.
    Exited(ExitStatus),
    /// The timeout passed; the process group was killed.
    TimedOut,
    /// Stdout passed [`Limits::max_output`]; the process group was killed.
    OutputTooLarge,
}

/// What a run produced.
#[derive(Debug)]
pub(crate) struct Run {
    /// How it ended.
    pub ending: Ending,
    /// Stdout (complete only when the process exited).
    pub stdout: Vec<u8>,
    /// Stderr, up to [`Limits::max_stderr`] bytes, as text (invalid UTF-8 replaced).
    pub stderr: String,
}

/// What the helper threads report.
enum Event {
    Exited(io::Result<ExitStatus>),
    Stdout(Vec<u8>),
    OutputTooLarge,
    Stderr(Vec<u8>),
}

/// Runs `binary` with `input` on stdin under `limits`. `Err` only when it cannot be started.
pub(crate) fn run(binary: &Path, input: Vec<u8>, limits: Limits) -> io::Result<Run> {
    let mut command = Command::new(binary);
    command.env_clear().stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    if let Some(path) = std::env::var_os("PATH") {
        command.env("PATH", path);
    }
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command.spawn()?;
    let group = rustix::process::Pid::from_child(&child);
    let (events, received) = mpsc::channel();
    if let Some(mut stdin) = child.stdin.take() {
        // A function may exit without reading its input: a broken pipe is its business.
        thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
    }
    spawn_readers(&mut child, &events, limits);
    thread::spawn(move || {
        let _ = events.send(Event::Exited(child.wait()));
    });

    let kill = || {
        let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
    };
    let deadline = Instant::now() + limits.timeout;
    let mut collected = Collected::default();
    let mut ending = None;
    while !collected.done() {
        let wait = match ending {
            None => deadline.saturating_duration_since(Instant::now()),
            Some(_) => AFTER_KILL,
        };
        match received.recv_timeout(wait) {
            Ok(Event::OutputTooLarge) if ending.is_none() => {
                kill();
                ending = Some(Ending::OutputTooLarge);
                collected.take(Event::OutputTooLarge)?;
            }
            Ok(event) => collected.take(event)?,
            Err(RecvTimeoutError::Timeout) if ending.is_none() => {
                kill();
                ending = Some(Ending::TimedOut);
            }
            // Killed and still not done (a process outside the group holds a pipe), or every
            // helper is gone: stop waiting; the helpers end when the pipes close.
            Err(_) => break,
        }
    }
    let ending = match (ending, collected.status) {
        (Some(ending), _) => ending,
        (None, Some(status)) => Ending::Exited(status),
        (None, None) => Ending::TimedOut,
    };
    Ok(Run {
        ending,
        stdout: collected.stdout.unwrap_or_default(),
        stderr: String::from_utf8_lossy(&collected.stderr.unwrap_or_default()).into_owned(),
    })
}

/// What has arrived so far.
#[derive(Default)]
struct Collected {
    status: Option<ExitStatus>,
    stdout: Option<Vec<u8>>,
    stderr: Option<Vec<u8>>,
}

impl Collected {
    fn done(&self) -> bool {
        self.status.is_some() && self.stdout.is_some() && self.stderr.is_some()
    }

    fn take(&mut self, event: Event) -> io::Result<()> {
        match event {
            Event::Exited(status) => self.status = Some(status?),
            Event::Stdout(bytes) => self.stdout = Some(bytes),
            Event::OutputTooLarge => self.stdout = Some(Vec::new()),
            Event::Stderr(bytes) => self.stderr = Some(bytes),
        }
        Ok(())
    }
}

/// Threads draining stdout (up to the limit) and stderr (keeping up to its limit).
fn spawn_readers(child: &mut Child, events: &Sender<Event>, limits: Limits) {
    if let Some(stdout) = child.stdout.take() {
        let events = events.clone();
        thread::spawn(move || {
            let _ = events.send(read_stdout(stdout, limits.max_output));
        });
    } else {
        let _ = events.send(Event::Stdout(Vec::new()));
    }
    if let Some(stderr) = child.stderr.take() {
        let events = events.clone();
        thread::spawn(move || {
            let _ = events.send(Event::Stderr(read_stderr(stderr, limits.max_stderr)));
        });
    } else {
        let _ = events.send(Event::Stderr(Vec::new()));
    }
}

fn read_stdout(stdout: ChildStdout, max: usize) -> Event {
    let mut kept = Vec::new();
    // One byte more than allowed tells a full stdout from one that is too large.
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    match stdout.take(limit).read_to_end(&mut kept) {
        Ok(_) if kept.len() > max => Event::OutputTooLarge,
        _ => Event::Stdout(kept),
    }
}

fn read_stderr(mut stderr: ChildStderr, max: usize) -> Vec<u8> {
    let mut kept = Vec::new();
    let mut buffer = [0u8; 8192];
    loop {
        match stderr.read(&mut buffer) {
            Ok(0) | Err(_) => return kept,
            Ok(n) => {
                let room = max.saturating_sub(kept.len()).min(n);
                kept.extend_from_slice(&buffer[..room]);
            }
        }
    }
}
