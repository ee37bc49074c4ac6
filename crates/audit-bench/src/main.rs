//! The benchmark harness: runs every measurement once and prints Markdown tables to stdout
//! (progress goes to stderr).
//!
//! ```text
//! cargo run --release -p audit-bench -- [--quick] [--only SECTIONS] [--dir DIR]
//! ```

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use audit_bench::report::{criterion_table, render, Results, Section};
use audit_bench::sections::{
    durable_commits, emit_latencies, format_stall_line, long_run, stall_child, stall_memory, verify_speed, writer_drains,
    BenchError, Settings, STALL_CHILD_FLAG,
};
use audit_bench::system::Machine;

const USAGE: &str = "\
usage: audit-bench [--quick] [--only SECTIONS] [--dir DIR]

Measures audit-logging and prints Markdown tables to stdout.

  --quick          smoke run: small counts, short runs, under a minute in all
  --only SECTIONS  comma-separated subset of: emit, drain, long, durable, verify, stall
                   (verify also runs drain, whose log it reads)
  --dir DIR        directory for the benchmark logs and the dd file
                   (default: the system temporary directory)
  --emit-calls N   timed calls per producer in each emit row
                   (default 1000000, or 100000 with --quick)
  --durable-producers LIST
                   comma-separated producer counts of the durable runs (default 1,8,64)
  --criterion-table DIR
                   print the mean and median of the criterion `emit` benchmarks found
                   in DIR (normally target/criterion) and exit";

const SECTIONS: [&str; 6] = ["emit", "drain", "long", "durable", "verify", "stall"];

struct Args {
    settings: Settings,
    criterion_table: Option<PathBuf>,
    only: Option<Vec<String>>,
    stall_child: Option<Duration>,
}

fn parse_args() -> Result<Args, String> {
    let mut quick = false;
    let mut only = None;
    let mut dir = std::env::temp_dir();
    let mut emit_calls = None;
    let mut durable_producers = None;
    let mut stall_child = false;
    let mut seconds = 1;
    let mut criterion_table = None;

    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => quick = true,
            "--only" => {
                let list = args.next().ok_or("--only needs a comma-separated list of sections")?;
                let names: Vec<String> = list.split(',').map(str::to_owned).collect();
                if let Some(unknown) = names.iter().find(|name| !SECTIONS.contains(&name.as_str())) {
                    return Err(format!("unknown section {unknown:?}; expected one of {}", SECTIONS.join(", ")));
                }
                only = Some(names);
            }
            "--dir" => dir = PathBuf::from(args.next().ok_or("--dir needs a directory")?),
            "--criterion-table" => {
                criterion_table = Some(PathBuf::from(args.next().ok_or("--criterion-table needs a directory")?));
            }
            "--emit-calls" => {
                let value = args.next().ok_or("--emit-calls needs a number")?;
                let calls = value.parse().ok().filter(|&calls| calls > 0);
                emit_calls = Some(calls.ok_or(format!("invalid --emit-calls value {value:?}: expected a positive number"))?);
            }
            "--durable-producers" => {
                let value = args.next().ok_or("--durable-producers needs a comma-separated list")?;
                let counts: Option<Vec<usize>> = value.split(',').map(|n| n.parse().ok().filter(|&n| n > 0)).collect();
                let counts = counts.ok_or(format!("invalid --durable-producers value {value:?}: expected positive numbers"))?;
                durable_producers = Some(counts);
            }
            // Internal: the stall measurement runs in a child process of its own.
            STALL_CHILD_FLAG => stall_child = true,
            "--seconds" => {
                let value = args.next().ok_or("--seconds needs a number")?;
                seconds = value.parse().map_err(|_| format!("invalid --seconds value {value:?}"))?;
            }
            "--help" | "-h" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other:?}\n\n{USAGE}")),
        }
    }

    if !dir.is_dir() {
        return Err(format!("--dir {} is not a directory", dir.display()));
    }
    let stall_child = stall_child.then(|| Duration::from_secs(seconds));
    let mut settings = Settings::new(quick, dir);
    settings.emit_calls = emit_calls;
    if let Some(counts) = durable_producers {
        settings.durable_producers = counts;
    }
    Ok(Args { settings, criterion_table, only, stall_child })
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    if let Some(run) = args.stall_child {
        return run_stall_child(&args.settings, run);
    }
    if let Some(dir) = &args.criterion_table {
        return print_criterion_table(dir);
    }

    let selected = |name: &str| args.only.as_ref().is_none_or(|only| only.iter().any(|o| o == name));
    let settings = &args.settings;
    let started = Instant::now();
    let machine = Machine::describe(&settings.dir);
    let latencies = run_section(selected("emit"), "emit latency", || emit_latencies(settings));
    let drain = run_section(selected("drain") || selected("verify"), "writer drain", || writer_drains(settings));
    let long = run_section(selected("long"), "long run and dd", || long_run(settings));
    let durable = run_section(selected("durable"), "durable commits", || durable_commits(settings));
    let verify = match &drain {
        Some(Ok(drains)) if selected("verify") => match drains.first() {
            Some(drain) => run_section(true, "verify", || verify_speed(settings, drain.log.path())),
            None => Some(Err("no log to verify".into())),
        },
        Some(Err(_)) if selected("verify") => Some(Err("no log to verify: the writer drain failed".into())),
        _ => None,
    };
    let stall = run_section(selected("stall"), "stalled fsync", || stall_memory(settings));
    let drain = if selected("drain") { drain } else { None };

    let results = Results { machine, settings: settings.clone(), latencies, drain, long_run: long, durable, verify, stall };
    let mut stdout = std::io::stdout().lock();
    let written = stdout.write_all(render(&results).as_bytes()).and_then(|()| stdout.flush());
    eprintln!("finished in {:.0} s", started.elapsed().as_secs_f64());
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("could not write the report: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run_section<T>(selected: bool, name: &str, run: impl FnOnce() -> Result<T, BenchError>) -> Section<T> {
    if !selected {
        return None;
    }
    eprintln!("running: {name}");
    let started = Instant::now();
    let result = run().map_err(|error| error.to_string());
    match &result {
        Ok(_) => eprintln!("  done in {:.1} s", started.elapsed().as_secs_f64()),
        Err(error) => eprintln!("  failed: {error}"),
    }
    Some(result)
}

fn print_criterion_table(dir: &Path) -> ExitCode {
    match criterion_table(dir) {
        Ok(table) => {
            let mut stdout = std::io::stdout().lock();
            match stdout.write_all(table.as_bytes()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(_) => ExitCode::FAILURE,
            }
        }
        Err(error) => {
            eprintln!("{error}");
            ExitCode::FAILURE
        }
    }
}

fn run_stall_child(settings: &Settings, run: Duration) -> ExitCode {
    match stall_child(&settings.dir, run) {
        Ok(result) => {
            let mut stdout = std::io::stdout().lock();
            match writeln!(stdout, "{}", format_stall_line(&result)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(_) => ExitCode::FAILURE,
            }
        }
        Err(error) => {
            eprintln!("stall measurement failed: {error}");
            ExitCode::FAILURE
        }
    }
}
