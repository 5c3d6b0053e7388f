/*
 * descent_pool — a small POSIX thread pool that implements descent's parallel_for callback,
 * for Linux and Jetson hosts. Part of ports/, not of the library: it allocates and owns
 * threads, which libdescent never does.
 *
 *     dsc_pool *pool = dsc_pool_create(4);        // 4 threads in all, the caller included
 *     cfg.parallel_for = dsc_pool_parallel_for;
 *     cfg.pool = pool;
 *     ... dsc_arena_size / dsc_create / dsc_fit ...
 *     dsc_pool_destroy(pool);
 *
 * One pool serves one parallel_for call at a time; concurrent calls from different threads
 * are serialised. Use a pool per concurrently training model for full speed.
 */
#ifndef DESCENT_POOL_H
#define DESCENT_POOL_H

#include "descent.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dsc_pool dsc_pool;

/* n_threads >= 1 threads run tasks: the calling thread and n_threads - 1 workers.
 * NULL if threads could not be started. */
dsc_pool *dsc_pool_create(unsigned n_threads);
void dsc_pool_destroy(dsc_pool *pool);
unsigned dsc_pool_threads(const dsc_pool *pool);
/* The dsc_parallel_for_fn: pass it as cfg.parallel_for with cfg.pool = the pool. */
void dsc_pool_parallel_for(void *pool, uint32_t n_tasks, dsc_task_fn task, void *arg);

#ifdef __cplusplus
}
#endif
#endif
