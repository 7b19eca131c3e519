#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The protocol core (src/wire, src/assoc) must stay free of I/O and clocks so it
# can be tested on a simulated clock and reasoned about as pure state machines
# (STYLE.md, "Layers enforced by the build"). Fails if a forbidden header or a
# clock read appears there. Comments are stripped first: they may name what is
# forbidden in order to explain it.
# Usage: layering_test.sh <project source root>
set -u
root=${1:?usage: layering_test.sh <project source root>}
status=0
forbidden=(
  '#[[:space:]]*include[[:space:]]*<sys/'          # sys/socket.h, sys/uio.h, sys/time.h ...
  '#[[:space:]]*include[[:space:]]*<netinet/'
  '#[[:space:]]*include[[:space:]]*<arpa/'
  '#[[:space:]]*include[[:space:]]*<liburing'
  '#[[:space:]]*include[[:space:]]*<unistd\.h>'
  '#[[:space:]]*include[[:space:]]*<fcntl\.h>'
  '#[[:space:]]*include[[:space:]]*<poll\.h>'
  '#[[:space:]]*include[[:space:]]*<thread>'
  '#[[:space:]]*include[[:space:]]*<ctime>'
  '#[[:space:]]*include[[:space:]]*<time\.h>'
  '(steady|system|high_resolution)_clock::now'
  '\b(clock_gettime|gettimeofday)[[:space:]]*\('
)
# One grep per file with every pattern: spawning a process per pattern per file
# made this the slowest unit test.
grep_args=()
for pattern in "${forbidden[@]}"; do grep_args+=(-e "$pattern"); done
for dir in src/wire src/assoc; do
  [ -d "$root/$dir" ] || { echo "missing $root/$dir"; exit 1; }
  while IFS= read -r -d '' file; do
    # Blank // comments and comment lines starting with /* or * (line numbers kept).
    if hits=$(sed -e 's://.*$::' -e 's:^[[:space:]]*/\?\*.*$::' "$file" | grep -nE "${grep_args[@]}"); then
      echo "layering violation in ${file#"$root"/}:"
      echo "$hits"
      status=1
    fi
  done < <(find "$root/$dir" -type f \( -name '*.hpp' -o -name '*.cpp' -o -name '*.h' \) -print0)
done
[ $status -eq 0 ] && echo "layering ok: src/wire and src/assoc use no socket, io_uring, thread or clock headers"
exit $status
