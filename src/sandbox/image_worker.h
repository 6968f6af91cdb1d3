/*
 * image_worker.h - the image helper: `kite image-worker`, started only by
 * image_sandbox.c, never by a person.
 *
 * It drops its privileges, initialises libvips, confines itself (confine.h),
 * then reads one request frame on descriptor 0, answers one response frame on
 * the same descriptor and exits.  See image.h for the protocol.
 */
#ifndef KITE_SANDBOX_IMAGE_WORKER_H
#define KITE_SANDBOX_IMAGE_WORKER_H

/* argv[0] is "image-worker".  Options: --test-delay-ms N (sleep before decoding; set by tests). */
int image_worker_main(int argc, char **argv);

#endif
