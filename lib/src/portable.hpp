// The training arithmetic shared with the CUDA kernels (shuffle, SGD update, epoch rules) is
// defined once in kernels/train_math.h, where device code can include it without reaching into
// lib/. This name stays for the CPU trainer's includes.
#pragma once

#include "train_math.h"
