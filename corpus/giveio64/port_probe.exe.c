/* port_probe for x64 after giveio64 closed again: the same program as corpus/giveio's. */
#include "../giveio/port_probe.exe.c"
