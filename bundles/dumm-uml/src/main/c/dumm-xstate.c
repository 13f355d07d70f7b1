/*
 * dumm-xstate.so — preloaded into linux.uml (LD_PRELOAD) so that Debian's UML 6.1 runs on hosts
 * whose CPUs have AMX (Intel Sapphire Rapids and later).
 *
 * Why: UML restores a guest process's floating-point state with
 * ptrace(PTRACE_SETREGSET, NT_X86_XSTATE) from a buffer of a size fixed when UML was built
 * (2696 bytes: x87, SSE, AVX, AVX-512, PKRU). The host kernel takes a SETREGSET only with its
 * whole XSAVE buffer (11008 bytes with AMX's tile registers) and answers EFAULT otherwise, so on
 * such a host the first process of every guest (its init) is killed at once:
 * "userspace - ptrace set fp regs failed, errno = 14".
 *
 * What: a SETREGSET through a shorter buffer is made with the host's size, the caller's bytes
 * first and the AMX tile components in their initial state (their bits cleared in the XSAVE
 * header). That loses nothing: a guest process cannot have been granted AMX, because its
 * arch_prctl(ARCH_REQ_XCOMP_PERM) goes to UML, which does not know it. A GETREGSET through a
 * shorter buffer the kernel already truncates. Should some other component lie beyond the
 * caller's buffer (a CPU newer than this shim), it is also reset, and the shim says so once on
 * stderr (the guest's console.log). Every other call, and every call on a host whose buffer is
 * no larger than the caller's, passes through unchanged.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef NT_X86_XSTATE
#define NT_X86_XSTATE 0x202
#endif

#define LEGACY_AND_HEADER 576  /* the 512-byte legacy area and the 64-byte XSAVE header */
#define XSTATE_BV_OFFSET 512   /* the header's bitmap of components present */
#define PROBE_SIZE (64 * 1024) /* larger than any XSAVE buffer a host has today */
#define AMX_TILES ((1ULL << 17) | (1ULL << 18))

typedef long (*ptrace_fn)(int, pid_t, void *, void *);

static ptrace_fn real_ptrace;
static size_t host_size;          /* what SETREGSET demands; 0 until learnt */
static unsigned char *scratch;    /* host_size bytes */
static volatile int scratch_busy;
static size_t kept_len;           /* the caller length kept_mask was worked out for */
static uint64_t kept_mask;        /* components wholly inside kept_len bytes */

static long call_real(int request, pid_t pid, void *addr, void *data)
{
    if (!real_ptrace) {
        real_ptrace = (ptrace_fn) dlsym(RTLD_NEXT, "ptrace");
        if (!real_ptrace) {
            errno = ENOSYS;
            return -1;
        }
    }
    return real_ptrace(request, pid, addr, data);
}

/* The host's XSAVE size, read once through a large GETREGSET on a traced pid. */
static int learn_host_size(pid_t pid)
{
    if (host_size) {
        return 0;
    }
    unsigned char *probe = mmap(NULL, PROBE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (probe == MAP_FAILED) {
        return -1;
    }
    struct iovec iov = { probe, PROBE_SIZE };
    long r = call_real(PTRACE_GETREGSET, pid, (void *) NT_X86_XSTATE, &iov);
    size_t size = iov.iov_len;
    munmap(probe, PROBE_SIZE);
    if (r < 0) {
        return -1;
    }
    void *buf = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (buf == MAP_FAILED) {
        return -1;
    }
    scratch = buf;
    host_size = size;
    return 0;
}

/*
 * The components (XSTATE_BV bits) lying wholly inside the first len bytes, from CPUID leaf 0xd
 * (each CPUID is a VM exit under a hypervisor: worked out once per length, not per call).
 */
static uint64_t components_within(size_t len)
{
    if (len == kept_len) {
        return kept_mask;
    }
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    uint64_t enabled = ((uint64_t) hi << 32) | lo;
    uint64_t mask = 3; /* x87 and SSE live in the legacy area */
    for (unsigned i = 2; i < 63; i++) {
        unsigned size, offset, c, d;
        if (!(enabled & (1ULL << i))) {
            continue;
        }
        __asm__ volatile("cpuid" : "=a"(size), "=b"(offset), "=c"(c), "=d"(d) : "a"(0xd), "c"(i));
        if (offset + size <= len) {
            mask |= 1ULL << i;
        } else if (!((1ULL << i) & AMX_TILES)) {
            char line[160];
            int n = snprintf(line, sizeof line, "dumm-xstate: register state component %u lies beyond UML's "
                    "%zu-byte buffer; guest processes lose it at every switch\n", i, len);
            if (n > 0 && write(2, line, (size_t) n) < 0) {
                /* nowhere else to say it */
            }
        }
    }
    kept_mask = mask;
    kept_len = len;
    return mask;
}

static long set_xstate(pid_t pid, struct iovec *iov)
{
    if (learn_host_size(pid) < 0 || iov->iov_len >= host_size || iov->iov_len < LEGACY_AND_HEADER) {
        return call_real(PTRACE_SETREGSET, pid, (void *) NT_X86_XSTATE, iov);
    }
    unsigned char *buf = scratch;
    int own = __sync_lock_test_and_set(&scratch_busy, 1);
    if (own) {
        /* re-entered from a signal handler: a buffer of its own */
        buf = mmap(NULL, host_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (buf == MAP_FAILED) {
            errno = ENOMEM;
            return -1;
        }
    }
    size_t len = iov->iov_len;
    uint64_t present;
    memcpy(buf, iov->iov_base, len);
    memset(buf + len, 0, host_size - len);
    memcpy(&present, buf + XSTATE_BV_OFFSET, sizeof present);
    present &= components_within(len);
    memcpy(buf + XSTATE_BV_OFFSET, &present, sizeof present);
    struct iovec whole = { buf, host_size };
    long r = call_real(PTRACE_SETREGSET, pid, (void *) NT_X86_XSTATE, &whole);
    int saved = errno;
    if (own) {
        munmap(buf, host_size);
    } else {
        __sync_lock_release(&scratch_busy);
    }
    errno = saved;
    return r;
}

long ptrace(enum __ptrace_request request, ...)
{
    va_list ap;
    va_start(ap, request);
    pid_t pid = va_arg(ap, pid_t);
    void *addr = va_arg(ap, void *);
    void *data = va_arg(ap, void *);
    va_end(ap);
    if (request == PTRACE_SETREGSET && (uintptr_t) addr == NT_X86_XSTATE && data) {
        return set_xstate(pid, data);
    }
    return call_real(request, pid, addr, data);
}
