// Linux calls Swift's Glibc module does not bring in: epoll (RelayIO's ReadinessPoller), eventfd (to
// end a poll thread) and glibc's malloc tuning (RelayIO's HeapTuning: mallopt, malloc_trim).
// Also the number of CPUs this process may run on (sched_getaffinity), which needs no _GNU_SOURCE here,
// and the kernel's CSPRNG (getrandom, RelayCrypto's SecureRandom), and accept4 (a non-blocking,
// close-on-exec socket in one call; glibc declares it only with _GNU_SOURCE).
// Header-only; nothing to compile or link.
#ifndef SPARK_CLINUXSHIM_H
#define SPARK_CLINUXSHIM_H
#ifdef __linux__
#include <malloc.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

/// CPUs in this thread's affinity mask (taskset, cgroup cpusets), or 0 when it cannot be read.
static inline int spark_affinity_cpu_count(void) {
    unsigned long mask[16] = {0};  /* 1,024 CPUs */
    long bytes = syscall(SYS_sched_getaffinity, 0, sizeof(mask), mask);
    if (bytes <= 0) return 0;
    int count = 0;
    for (long i = 0; i < bytes / (long)sizeof(unsigned long); i++) count += __builtin_popcountl(mask[i]);
    return count;
}

/// accept4(2) with SOCK_NONBLOCK | SOCK_CLOEXEC, through the system call.
static inline int spark_accept_nonblocking(int fd, struct sockaddr *address, socklen_t *length) {
    return (int)syscall(SYS_accept4, fd, address, length, SOCK_NONBLOCK | SOCK_CLOEXEC);
}
#endif
#endif
