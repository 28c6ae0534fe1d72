//! `signet sign jwt|md5` and `signet srcset`: URLs made by `crate::links`
//! with the keys of the config `serve` reads.

use signet_storage::ObjectKey;
use signet_transform::parse_options;

use super::{current_thread, load_with_keys, JwtArgs, Md5Args, SrcsetArgs};
use crate::admin::metrics::Metrics;
use crate::core::open_store;
use crate::core::unix_now;
use crate::links::srcset::{self, Link, Widths};
use crate::links::urls::Signer;
use crate::links::SecureNeedsJwt;
use crate::media::source::source_width;

/// `/a/b.jpg` from `a/b.jpg` or `/a/b.jpg`, checked like a request path.
fn clean_path(path: &str) -> Result<String, String> {
    let path = if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    };
    ObjectKey::from_path(&path).map_err(|e| format!("--path {path}: {e}"))?;
    Ok(path)
}

/// `K=V` flags as pairs, validated as options.
pub(super) fn split_pairs(flag: &str, items: &[String]) -> Result<Vec<(String, String)>, String> {
    let pairs: Vec<(String, String)> = items
        .iter()
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
            _ => Err(format!("--{flag} {kv}: expected NAME=VALUE")),
        })
        .collect::<Result<_, _>>()?;
    parse_options(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))).map_err(|errs| {
        let lines: Vec<String> = errs.iter().map(|e| format!("--{flag} {e}")).collect();
        lines.join("\n")
    })?;
    Ok(pairs)
}

pub(super) fn sign_jwt(args: JwtArgs) -> Result<(), String> {
    let (config, ring) = load_with_keys(&args.target.config)?;
    let path = clean_path(&args.target.path)?;
    let signer = Signer::Jwt {
        secure: split_pairs("secure", &args.secure)?,
        audience: args.audience,
    };
    let params = split_pairs("param", &args.params)?;
    let lifetime = args.target.lifetime();
    let signed = signer.url(
        &config.public_base(),
        &ring,
        &lifetime,
        (&path, &params),
        unix_now(),
    )?;
    println!("{}", signed.url);
    Ok(())
}

pub(super) fn sign_md5(args: Md5Args) -> Result<(), String> {
    let (config, ring) = load_with_keys(&args.target.config)?;
    let path = clean_path(&args.target.path)?;
    let lifetime = args.target.lifetime();
    let signed = Signer::Md5.url(
        &config.public_base(),
        &ring,
        &lifetime,
        (&path, &[]),
        unix_now(),
    )?;
    println!("{}", signed.url);
    Ok(())
}

pub(super) fn srcset(args: SrcsetArgs) -> Result<(), String> {
    let (config, ring) = load_with_keys(&args.target.config)?;
    let path = clean_path(&args.target.path)?;
    let params = split_pairs("param", &args.params)?;
    srcset::check_no_width("--param", &params)?;
    let secure = split_pairs("secure", &args.secure)?;
    srcset::check_no_width("--secure", &secure)?;
    let upscale = srcset::upscales(&[&params, &secure]);
    let signer = args
        .sign
        .signer(&ring, secure, Vec::new())
        .map_err(|SecureNeedsJwt| {
            "--secure needs --sign jwt (only a JWT carries secure args)".to_owned()
        })?;
    let widths = match (args.min_width, args.max_width) {
        (Some(min), Some(max)) => Widths::Range {
            min,
            max,
            tolerance: args.tolerance,
        },
        _ => Widths::List(args.widths.clone()),
    };
    let mut widths = widths.resolve()?;
    if !upscale {
        // Only the store is opened: one object is read and probed.
        let width = current_thread()?.block_on(async {
            let store = open_store(&config.storage)
                .await
                .map_err(|e| format!("cannot open storage: {e}"))?;
            let key = ObjectKey::from_path(&path).map_err(|e| format!("{path}: {e}"))?;
            let limit = config.limits.max_source_bytes;
            source_width(store.as_ref(), &key, limit, &Metrics::default())
                .await
                .map_err(|e| format!("{path}: {e}"))
        })?;
        widths = srcset::cap(&widths, width);
    }
    let base = config.public_base();
    let lifetime = args.target.lifetime();
    let link = Link {
        base: &base,
        ring: &ring,
        signer: &signer,
        lifetime: &lifetime,
        path: &path,
        params: &params,
    };
    let candidates = srcset::candidates(&link, &widths, unix_now())?;
    println!("{}", srcset::attribute(&candidates));
    Ok(())
}
