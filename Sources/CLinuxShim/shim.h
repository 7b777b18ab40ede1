// Linux calls Swift's Glibc module does not bring in: epoll (RelayIO's ReadinessPoller), eventfd (to
// end a poll thread) and glibc's malloc tuning (RelayIO's HeapTuning: mallopt, malloc_trim).
// Header-only; nothing to compile or link.
#ifndef SPARK_CLINUXSHIM_H
#define SPARK_CLINUXSHIM_H
#ifdef __linux__
#include <malloc.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#endif
#endif
