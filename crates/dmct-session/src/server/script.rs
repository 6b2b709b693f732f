//! The commands a server script's lines stand for.

use super::*;

/// The command a script line stands for. CmdIDs of nested commands are numbered here;
/// the builder numbers top-level ones.
pub(super) fn script_command(c: &ScriptCommand, ids: &mut u32) -> Command {
    let item = |target: &str, data: Option<&String>, format: Option<&String>| Item {
        target: Some(LocRef::uri(target)),
        meta: format.map(|f| {
            Meta {
                format: Some(f.clone()),
                ..Default::default()
            }
            .into()
        }),
        data: data.map(|d| Data::Text(d.clone())),
        ..Default::default()
    };
    let cmd = |i: Item| ItemCmd {
        items: vec![i],
        ..Default::default()
    };
    let nested = |commands: &[ScriptCommand], ids: &mut u32| Container {
        commands: commands
            .iter()
            .map(|c| {
                let mut inner = script_command(c, ids);
                *ids += 1;
                build::set_cmd_id(&mut inner, ids.to_string());
                inner
            })
            .collect(),
        ..Default::default()
    };
    match c {
        ScriptCommand::Get {
            target,
            more_targets,
        } => Command::Get(ItemCmd {
            items: std::iter::once(target)
                .chain(more_targets)
                .map(|t| item(t, None, None))
                .collect(),
            ..Default::default()
        }),
        ScriptCommand::Replace {
            target,
            data,
            format,
            repeat,
        } => {
            let data = data.repeat(repeat.unwrap_or(1));
            Command::Replace(cmd(item(target, Some(&data), Some(format))))
        }
        ScriptCommand::Add {
            target,
            data,
            format,
            repeat,
        } => {
            let data = data.as_ref().map(|d| d.repeat(repeat.unwrap_or(1)));
            Command::Add(cmd(item(target, data.as_ref(), Some(format))))
        }
        ScriptCommand::Delete { target } => Command::Delete(cmd(item(target, None, None))),
        ScriptCommand::Exec { target, data } => {
            Command::Exec(cmd(item(target, data.as_ref(), None)))
        }
        ScriptCommand::Copy { source, target } => Command::Copy(cmd(Item {
            source: Some(LocRef::uri(source)),
            ..item(target, None, None)
        })),
        ScriptCommand::Alert { code, items } => Command::alert(Alert {
            data: Some(code.as_str().into()),
            items: items
                .iter()
                .map(|d| Item {
                    data: Some(Data::Text(d.clone())),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }),
        ScriptCommand::Atomic { commands } => Command::atomic(nested(commands, ids)),
        ScriptCommand::Sequence { commands } => Command::sequence(nested(commands, ids)),
    }
}
