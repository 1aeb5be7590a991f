# Fetches the model into the cache before the server starts (init container model-fetch).
# Env: MODEL_NAME, MODEL_VERSION, MODEL_URI, MODEL_SHA256 (optional), MODEL_CACHE_DIR,
# MODEL_CACHE_READONLY ("true": only check). The model lands in
# $MODEL_CACHE_DIR/$MODEL_NAME/$MODEL_VERSION, marked complete by a .complete file written
# last, so a cache shared by many pods is never read half-written.
set -eu
log() { echo "model-fetch: $*"; }
die() { echo "model-fetch: $*" >&2; exit 1; }
target="$MODEL_CACHE_DIR/$MODEL_NAME/$MODEL_VERSION"
if [ -f "$target/.complete" ]; then
  log "$MODEL_NAME $MODEL_VERSION is in the cache ($target); skipping the download"
  exit 0
fi
if [ "${MODEL_CACHE_READONLY:-false}" = "true" ]; then
  die "$MODEL_NAME $MODEL_VERSION is not in the read-only cache ($target): fill the volume first, or give the model cache a writable (ReadWriteMany) claim"
fi
partial="$target.partial.$(hostname)"
rm -rf "$partial"
mkdir -p "$partial"
log "downloading $MODEL_URI into $target"
case "$MODEL_URI" in
  s3://*)
    rclone copy --s3-env-auth ":s3:${MODEL_URI#s3://}" "$partial" || die "cannot download $MODEL_URI (check modelStore credentials or the pod's cloud identity)" ;;
  gs://*)
    rclone copy --gcs-env-auth ":gcs:${MODEL_URI#gs://}" "$partial" || die "cannot download $MODEL_URI (check the pod's cloud identity)" ;;
  hf://*)
    command -v huggingface-cli >/dev/null 2>&1 || die "hf:// needs huggingface-cli in model.fetch.image (an image with the huggingface_hub package)"
    repo="${MODEL_URI#hf://}"
    revision=main
    case "$repo" in *@*) revision="${repo#*@}"; repo="${repo%@*}" ;; esac
    huggingface-cli download "$repo" --revision "$revision" --local-dir "$partial" || die "cannot download $MODEL_URI" ;;
  https://*|http://*)
    file="$partial/$(basename "${MODEL_URI%%\?*}")"
    if command -v curl >/dev/null 2>&1; then
      curl -fsSL --retry 3 -o "$file" "$MODEL_URI" || die "cannot download $MODEL_URI"
    elif command -v wget >/dev/null 2>&1; then
      wget -q -O "$file" "$MODEL_URI" || die "cannot download $MODEL_URI"
    else
      rclone copyurl "$MODEL_URI" "$file" || die "cannot download $MODEL_URI"
    fi ;;
  *)
    die "unsupported model URI $MODEL_URI: use s3://, gs://, hf:// or https://" ;;
esac
if [ -n "${MODEL_SHA256:-}" ]; then
  # One file: its sha256; a directory: the sha256 of its files' `sha256sum` lines, by path.
  count=$(find "$partial" -type f | wc -l)
  if [ "$count" -eq 1 ]; then
    actual=$(sha256sum "$(find "$partial" -type f)" | cut -d' ' -f1)
  else
    actual=$(cd "$partial" && find . -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -d' ' -f1)
  fi
  if [ "$actual" != "$MODEL_SHA256" ]; then
    rm -rf "$partial"
    die "$MODEL_URI has sha256 $actual, but model.sha256 is $MODEL_SHA256: the download was discarded"
  fi
  log "sha256 $actual verified"
fi
touch "$partial/.complete"
# Another pod may have finished first: its copy is as good as ours.
if [ ! -e "$target" ] && mv "$partial" "$target" 2>/dev/null; then
  log "$MODEL_NAME $MODEL_VERSION ready in $target"
else
  rm -rf "$partial"
  [ -f "$target/.complete" ] || die "cannot move the model into $target"
  log "$MODEL_NAME $MODEL_VERSION was fetched by another pod; using it"
fi
