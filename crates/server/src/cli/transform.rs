//! `signet transform`: the request pipeline on a local file, with profiles
//! and watermarks from the configured storage (or `./` when the configured
//! folder does not exist).

use std::path::PathBuf;

use super::{current_thread, load, TransformArgs};
use crate::config::{process_env, Overrides, StorageKind};
use crate::core::Core;
use crate::media::transform_local;

pub(super) fn run(args: TransformArgs) -> Result<(), String> {
    let mut config = load(&args.config, &Overrides::default())?;
    if config.storage.kind == StorageKind::Fs && !config.storage.root.is_dir() {
        // Profiles and watermarks then come from ./Profiles/… and the like.
        config.storage.root = PathBuf::from(".");
    }
    let params = super::links::split_pairs("param", &args.params)?;
    let source = if args.input.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf)
            .map_err(|e| format!("reading stdin: {e}"))?;
        buf
    } else {
        std::fs::read(&args.input).map_err(|e| format!("{}: {e}", args.input.display()))?
    };
    let output = current_thread()?.block_on(async {
        let core = Core::open(config, &process_env)
            .await
            .map_err(|e| format!("cannot start: {e}"))?;
        transform_local(&core, source, &params, args.accept.as_deref())
            .await
            .map_err(|e| e.to_string())
    })?;
    if args.output.as_os_str() == "-" {
        std::io::Write::write_all(&mut std::io::stdout().lock(), &output.bytes)
            .map_err(|e| format!("writing stdout: {e}"))?;
    } else {
        std::fs::write(&args.output, &output.bytes)
            .map_err(|e| format!("{}: {e}", args.output.display()))?;
    }
    eprintln!(
        "{}x{} {} ({} bytes)",
        output.width,
        output.height,
        output.format.name(),
        output.bytes.len()
    );
    Ok(())
}
