// Linux calls Swift's Glibc module does not bring in: epoll (RelayIO's ReadinessPoller) and eventfd
// (to end a poll thread). Header-only; nothing to compile or link.
#ifndef SPARK_CLINUXSHIM_H
#define SPARK_CLINUXSHIM_H
#ifdef __linux__
#include <sys/epoll.h>
#include <sys/eventfd.h>
#endif
#endif
