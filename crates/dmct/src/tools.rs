//! The small commands: shell completions, man pages, the lab configuration template,
//! the matrix of several runs and the merge of a run's shards.

use crate::*;

/// `dmct completions SHELL`.
pub(crate) fn completions(shell: clap_complete::Shell) -> Result<ExitCode> {
    let mut cmd = command();
    clap_complete::generate(shell, &mut cmd, "dmct", &mut std::io::stdout());
    Ok(ExitCode::SUCCESS)
}

/// `dmct man [SUBCOMMAND]`.
pub(crate) fn man(subcommand: Option<String>) -> Result<ExitCode> {
    let cmd = command();
    let page = match &subcommand {
        None => cmd,
        Some(name) => {
            let Some(sub) = cmd.find_subcommand(name) else {
                let names: Vec<_> = cmd.get_subcommands().map(|c| c.get_name()).collect();
                bail!("no subcommand {name:?}; dmct has {}", names.join(", "));
            };
            // The page is named as a man page of a subcommand is: dmct-run.
            sub.clone().name(format!("dmct-{name}"))
        }
    };
    let mut roff = Vec::new();
    clap_mangen::Man::new(page)
        .render(&mut roff)
        .context("cannot write the man page")?;
    use std::io::Write;
    std::io::stdout().write_all(&roff)?;
    Ok(ExitCode::SUCCESS)
}

/// `dmct matrix`.
pub(crate) fn matrix(reports: &[String], out: &Path) -> Result<ExitCode> {
    let m = dmct_suite::matrix::matrix(reports, out)?;
    println!(
        "{} runs, {} cases, {} rules side by side: {}",
        m.columns.len(),
        m.cases.len(),
        m.rules.len(),
        out.join("matrix.html").display()
    );
    if m.catalogs_differ {
        eprintln!("dmct: these runs were judged by different rule catalogs");
    }
    Ok(ExitCode::SUCCESS)
}

/// `dmct merge`: exits as `run` would on the merged verdicts.
pub(crate) fn merge(reports: &[String], out: &Path) -> Result<ExitCode> {
    let m = dmct_suite::merge::merge(reports, out)?;
    eprintln!(
        "dmct: {} shards merged: {} cases",
        m.shards,
        m.report.cases.len()
    );
    print_report(out, &m.report);
    let verdicts = m.report.cases.iter().map(|c| c.verdict);
    Ok(decide(&Ending::of(verdicts).interrupted(m.report.interrupted)).into())
}

/// `dmct init [FILE]`.
pub(crate) fn init(file: &Path) -> Result<ExitCode> {
    dmct_config::init(file)?;
    println!(
        "wrote {}: fill in the device's keys, then: dmct run --config {}",
        file.display(),
        file.display()
    );
    Ok(ExitCode::SUCCESS)
}
