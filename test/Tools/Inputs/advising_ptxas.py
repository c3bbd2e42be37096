"""Builds a CUDA toolkit folder whose ptxas is the real one plus one
performance advisory on stderr, for ../qopt-compile-qbin.test.

usage: advising_ptxas.py DIR REAL_PTXAS
DIR/bin/ptxas runs REAL_PTXAS with the same arguments and then prints what
ptxas prints when it serializes wgmma; DIR/nvvm is the real toolkit's (its
libdevice), linked.
"""
import os
import sys


def main():
    root, real = sys.argv[1], os.path.realpath(sys.argv[2])
    os.makedirs(os.path.join(root, "bin"), exist_ok=True)
    nvvm = os.path.join(os.path.dirname(os.path.dirname(real)), "nvvm")
    link = os.path.join(root, "nvvm")
    if not os.path.lexists(link):
        os.symlink(nvvm, link)
    tool = os.path.join(root, "bin", "ptxas")
    with open(tool, "w") as f:
        f.write("#!/bin/sh\n"
                f"'{real}' \"$@\" || exit $?\n"
                "echo 'ptxas info    : (C7515) Potential Performance Loss: wgmma.mma_async "
                "instructions are serialized due to the presence of Extern calls in the "
                "function' >&2\n")
    os.chmod(tool, 0o755)


if __name__ == "__main__":
    main()
