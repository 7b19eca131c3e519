// SPDX-License-Identifier: MIT
// <linux/sctp.h> expects the socket and integer headers first.
#pragma once

#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>

#include <linux/sctp.h>
