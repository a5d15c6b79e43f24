/* A process in uninterruptible sleep (D state) that anyone can make: the
 * parent of vfork() sleeps in the kernel, uninterruptibly, until its child
 * calls exec or _exit; this child sleeps instead. The kernel shows the
 * parent in state D, like a read from a hung disk. */
#include <time.h>
#include <unistd.h>

int main(void)
{
	pid_t child = vfork();

	if (child == 0) {
		struct timespec hour = { 3600, 0 };

		for (;;)
			nanosleep(&hour, NULL);
	}
	return child < 0;
}
