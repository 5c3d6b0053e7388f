/* POSIX thread pool for descent's parallel_for (see descent_pool.h). */
#define _POSIX_C_SOURCE 200809L
#include "descent_pool.h"

#include <pthread.h>
#include <stdlib.h>

struct dsc_pool {
    pthread_mutex_t lock;
    pthread_cond_t work;      /* a new job or shutdown */
    pthread_cond_t done;      /* the last task of a job finished */
    pthread_mutex_t call;     /* serialises parallel_for callers */
    pthread_t *threads;
    unsigned n_workers;
    /* the current job */
    dsc_task_fn task;
    void *arg;
    uint32_t n_tasks, next, finished;
    unsigned long generation;
    int stop;
};

/* Claims and runs tasks of the current job until none is left. Called with lock held. */
static void run_tasks(dsc_pool *p) {
    while (p->next < p->n_tasks) {
        uint32_t i = p->next++;
        dsc_task_fn task = p->task;
        void *arg = p->arg;
        pthread_mutex_unlock(&p->lock);
        task(arg, i);
        pthread_mutex_lock(&p->lock);
        if (++p->finished == p->n_tasks) pthread_cond_signal(&p->done);
    }
}

static void *worker(void *arg) {
    dsc_pool *p = (dsc_pool *)arg;
    unsigned long seen = 0;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->stop && p->generation == seen) pthread_cond_wait(&p->work, &p->lock);
        if (p->stop) break;
        seen = p->generation;
        run_tasks(p);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

dsc_pool *dsc_pool_create(unsigned n_threads) {
    if (n_threads == 0) return NULL;
    dsc_pool *p = (dsc_pool *)calloc(1, sizeof *p);
    if (!p) return NULL;
    p->n_workers = n_threads - 1;
    p->threads = (pthread_t *)calloc(p->n_workers ? p->n_workers : 1, sizeof(pthread_t));
    if (!p->threads) {
        free(p);
        return NULL;
    }
    pthread_mutex_init(&p->lock, NULL);
    pthread_mutex_init(&p->call, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_cond_init(&p->done, NULL);
    for (unsigned i = 0; i < p->n_workers; ++i) {
        if (pthread_create(&p->threads[i], NULL, worker, p) != 0) {
            p->n_workers = i;
            dsc_pool_destroy(p);
            return NULL;
        }
    }
    return p;
}

void dsc_pool_destroy(dsc_pool *p) {
    if (!p) return;
    pthread_mutex_lock(&p->lock);
    p->stop = 1;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->lock);
    for (unsigned i = 0; i < p->n_workers; ++i) pthread_join(p->threads[i], NULL);
    pthread_cond_destroy(&p->work);
    pthread_cond_destroy(&p->done);
    pthread_mutex_destroy(&p->lock);
    pthread_mutex_destroy(&p->call);
    free(p->threads);
    free(p);
}

unsigned dsc_pool_threads(const dsc_pool *p) { return p ? p->n_workers + 1 : 0; }

void dsc_pool_parallel_for(void *pool, uint32_t n_tasks, dsc_task_fn task, void *arg) {
    dsc_pool *p = (dsc_pool *)pool;
    if (n_tasks == 0) return;
    if (!p || p->n_workers == 0 || n_tasks == 1) {
        for (uint32_t i = 0; i < n_tasks; ++i) task(arg, i);
        return;
    }
    pthread_mutex_lock(&p->call);
    pthread_mutex_lock(&p->lock);
    p->task = task;
    p->arg = arg;
    p->n_tasks = n_tasks;
    p->next = 0;
    p->finished = 0;
    p->generation++;
    pthread_cond_broadcast(&p->work);
    run_tasks(p); /* the caller works too */
    while (p->finished < p->n_tasks) pthread_cond_wait(&p->done, &p->lock);
    pthread_mutex_unlock(&p->lock);
    pthread_mutex_unlock(&p->call);
}
