/* Two threads take two mutexes in opposite orders and deadlock; main joins
 * them. With --epoll, one more thread sits in epoll_wait on an eventfd
 * nobody writes: the shape of a tokio or libuv runtime's idle I/O thread
 * beside the deadlock. Built with -g so the evidence can name transfer_ab
 * and transfer_ba with their file and line. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

static pthread_mutex_t account_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t account_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both_held;

static void *transfer_ab(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&account_a);
	pthread_barrier_wait(&both_held);
	pthread_mutex_lock(&account_b); /* held by transfer_ba: never returns */
	return NULL;
}

static void *transfer_ba(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&account_b);
	pthread_barrier_wait(&both_held);
	pthread_mutex_lock(&account_a); /* held by transfer_ab: never returns */
	return NULL;
}

static void *io_driver(void *arg)
{
	int efd = *(int *)arg, ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN }, out;

	epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev);
	for (;;)
		epoll_wait(ep, &out, 1, -1); /* an idle runtime's I/O thread */
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t a, b, io;
	int efd = eventfd(0, 0);

	pthread_barrier_init(&both_held, NULL, 2);
	if (argc > 1 && strcmp(argv[1], "--epoll") == 0)
		pthread_create(&io, NULL, io_driver, &efd);
	pthread_create(&a, NULL, transfer_ab, NULL);
	pthread_create(&b, NULL, transfer_ba, NULL);
	fprintf(stderr, "DEADLOCKED\n");
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	return 0;
}
