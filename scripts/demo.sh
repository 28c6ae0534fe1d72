#!/usr/bin/env bash
# Prints URLs to try, then serves the example media. Used by `make run`.
set -euo pipefail
signet=${1:?usage: demo.sh SIGNET_BINARY CONFIG}
config=${2:?usage: demo.sh SIGNET_BINARY CONFIG}

"$signet" check-config --config "$config" >/dev/null
base=$(sed -n 's/^public_url *= *"\(.*\)"/\1/p' "$config")
cat <<MSG

signet demo — try these while it runs (Ctrl-C stops it):

  public file:     $base/example-image.jpg
  transformed:     $base/example-image.jpg?w=400&h=400&scale.option=fill
  overlays:        $base/example-image.jpg?w=600&format=optimal&text=Hello&text.size=30%25&text.color=white&text.outline.width=2&text.outline.color=black&watermark=/logo.png&watermark.position=southeast&watermark.scale.width=20%25
  JWT-signed:      $("$signet" sign jwt --config "$config" --path /private/secret-photo.jpg --expires-in 3600 --param w=500 --secure text=Confidential --secure text.color=ff0000)
  MD5-signed:      $("$signet" sign md5 --config "$config" --path /private/notes.txt --expires-in 3600)
  no token:        $base/private/secret-photo.jpg   (403, x-auth-result: missing token)
  health:          http://127.0.0.1:8081/health
  metrics:         http://127.0.0.1:8081/metrics

MSG
exec "$signet" serve --config "$config"
