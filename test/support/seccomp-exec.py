#!/usr/bin/env python3
"""Runs a command under the seccomp filter a systemd unit would give it, as far as seccomp goes.

Usage: seccomp-exec.py CALLS FAMILIES -- COMMAND...
CALLS is a comma-separated allow list of system calls (SystemCallFilter=, expanded); every other call fails
with EPERM (SystemCallErrorNumber=EPERM). FAMILIES is a comma-separated list of address family numbers
(RestrictAddressFamilies=): socket() for any other family fails. Only the native architecture is allowed
(SystemCallArchitectures=native). The filter needs no_new_privs (setpriv --no-new-privs) when unprivileged.
libseccomp through ctypes: systemd itself builds its filters with libseccomp.
"""
import ctypes
import ctypes.util
import errno
import os
import sys

SCMP_ACT_ALLOW = 0x7FFF0000
SCMP_CMP_EQ = 4


def act_errno(code):
    return 0x00050000 | (code & 0xFFFF)


class ArgCmp(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int), ("a", ctypes.c_uint64), ("b", ctypes.c_uint64)]


def main():
    if len(sys.argv) < 5 or sys.argv[3] != "--":
        sys.exit("usage: seccomp-exec.py CALLS FAMILIES -- COMMAND...")
    name = ctypes.util.find_library("seccomp")
    if not name:
        sys.exit("seccomp-exec.py: libseccomp is missing (Debian: libseccomp2)")
    lib = ctypes.CDLL(name, use_errno=True)
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_rule_add_array.argtypes = [
        ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint, ctypes.POINTER(ArgCmp)]
    lib.seccomp_load.argtypes = [ctypes.c_void_p]

    ctx = lib.seccomp_init(act_errno(errno.EPERM))
    socket_nr = lib.seccomp_syscall_resolve_name(b"socket")
    for call in sys.argv[1].split(","):
        nr = lib.seccomp_syscall_resolve_name(call.encode())
        if nr < 0 or nr == socket_nr:
            continue  # not a call of this architecture; socket() is allowed per family below
        if lib.seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, 0, None) != 0:
            sys.exit(f"seccomp-exec.py: cannot allow {call}")
    for family in sys.argv[2].split(","):
        cmp = (ArgCmp * 1)(ArgCmp(0, SCMP_CMP_EQ, int(family), 0))
        if lib.seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, socket_nr, 1, cmp) != 0:
            sys.exit(f"seccomp-exec.py: cannot allow socket family {family}")
    if lib.seccomp_load(ctx) != 0:
        sys.exit("seccomp-exec.py: seccomp_load failed (no_new_privs not set?)")
    os.execvp(sys.argv[4], sys.argv[4:])


main()
