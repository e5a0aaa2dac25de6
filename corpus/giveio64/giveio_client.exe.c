/* giveio_client for x64 against giveio64: the same program as corpus/giveio's. */
#include "../giveio/giveio_client.exe.c"
