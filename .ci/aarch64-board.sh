#!/usr/bin/env bash
# Provide an emulated aarch64 board for the device-tuning test (tests/local_compile/test_rpc_tuning.py):
# an aarch64 Python that imports apache-tvm, run by Debian's qemu-user-static.
#   .ci/aarch64-board.sh [VENV_PYTHON]   prints the path of the board's python wrapper
# Built only from Debian (debootstrap --foreign of an arm64 root from the mirror apt uses; its
# packages unpacked on the host, so no binfmt_misc or chroot is needed) and PyPI (the aarch64 wheels
# of the venv's own apache-tvm, apache-tvm-ffi and the rest, at the venv's versions). Cached outside
# the repo keyed on those versions: the first run takes minutes, later ones a second. Nothing built
# here is committed.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
VENV_PYTHON=${1:-$HERE/../.venv/bin/python}
CACHE=${SAGEMAKER_RECONCILER_TOOLS:-$HOME/.cache/sagemaker-reconciler-tools}
SUITE=${AARCH64_BOARD_SUITE:-bookworm}
BOARD_PYTHON=python3.11 # bookworm's; the wheels below are the cp311 ones
PACKAGES=(apache-tvm apache-tvm-ffi numpy ml_dtypes psutil cloudpickle typing_extensions)
HOST_PACKAGES=(qemu-user-static debootstrap)

say() { echo "aarch64-board: $*" >&2; }

[ -x "$VENV_PYTHON" ] || { say "no Python at $VENV_PYTHON (run ./dev setup first)"; exit 1; }
pins=$("$VENV_PYTHON" - "${PACKAGES[@]}" <<'EOF'
import sys
from importlib.metadata import PackageNotFoundError, version
try:
    print(" ".join(f"{name}=={version(name)}" for name in sys.argv[1:]))
except PackageNotFoundError as missing:
    sys.exit(f"aarch64-board: the venv lacks {missing} (install the test-local extra)")
EOF
)
mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd) # the wrapper holds absolute paths
key=$(printf '%s\n' "$SUITE" "$pins" | cat - "$0" | sha256sum | cut -c1-12)
BOARD="$CACHE/aarch64-board-$key"
WRAPPER="$BOARD/bin/python3"

if [ ! -x "$WRAPPER" ]; then
  missing=()
  for pkg in "${HOST_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    [ "$(id -u)" -eq 0 ] || { say "missing Debian packages: ${missing[*]} (sudo apt-get install ${missing[*]})"; exit 1; }
    say "installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  # The mirror apt already uses (deb822 or one-line sources), else Debian's own.
  mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
  [ -n "$mirror" ] || mirror=$(awk '/^deb / {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  mirror=${AARCH64_BOARD_MIRROR:-${mirror:-http://deb.debian.org/debian}}

  build=$(mktemp -d "$BOARD.tmp.XXXXXX")
  chmod 755 "$build" && mkdir "$build/bin"
  trap 'rm -rf "$build"' EXIT
  say "debootstrap --foreign arm64 $SUITE from $mirror (first time: a few minutes)"
  debootstrap --foreign --arch=arm64 --variant=minbase --include="$BOARD_PYTHON,libgomp1" \
    "$SUITE" "$build/root" "$mirror" >"$build/debootstrap.log" 2>&1 ||
    { tail -20 "$build/debootstrap.log" >&2; exit 1; }
  # The second stage would run arm64 maintainer scripts under binfmt_misc; unpacking every package
  # the first stage fetched is all a Python interpreter needs.
  for deb in "$build"/root/var/cache/apt/archives/*.deb; do
    dpkg-deb --fsys-tarfile "$deb" | tar -C "$build/root" --keep-directory-symlink -xf -
  done
  rm -rf "$build"/root/var/cache/apt/archives/*.deb "$build/root/debootstrap"
  # An empty loader cache, so the arm64 loader never reads the host's x86 one (qemu -L falls back to it).
  : >"$build/root/etc/ld.so.cache"

  say "aarch64 wheels: $pins"
  # shellcheck disable=SC2086
  "$VENV_PYTHON" -m pip install -q --target "$build/site" --no-deps --only-binary=:all: \
    --implementation cp --python-version 3.11 --abi cp311 --abi abi3 --abi none \
    --platform manylinux2014_aarch64 --platform manylinux_2_28_aarch64 --platform manylinux_2_34_aarch64 \
    --platform any $pins >&2

  # sys.executable must be this wrapper, not the arm64 binary: TVM's RPC server starts its workers
  # with sys.executable, and the host can only run them through qemu.
  cat >"$build/bin/python3" <<EOF
#!/bin/sh
# An aarch64 Python under qemu-user (made by .ci/aarch64-board.sh; delete $BOARD to rebuild).
export PYTHONHOME=/usr PYTHONPATH="$BOARD/site" PYTHONNOUSERSITE=1
exec $(command -v qemu-aarch64-static) -L "$BOARD/root" -0 "\$0" "$BOARD/root/usr/bin/$BOARD_PYTHON" "\$@"
EOF
  chmod +x "$build/bin/python3"
  rm -rf "$BOARD"
  mv "$build" "$BOARD"
  trap - EXIT
  say "checking that the board imports tvm (slow under emulation)"
  "$WRAPPER" -c 'import platform, tvm, tvm.rpc.server; assert platform.machine() == "aarch64", platform.machine()' ||
    { say "the board at $BOARD cannot import tvm"; rm -rf "$BOARD"; exit 1; }
fi
echo "$WRAPPER"
