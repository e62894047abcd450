/* The one source of truth for the version: CMake, setup.py and the rockspec check read it. */
#ifndef PYLON_IDV_VERSION_H
#define PYLON_IDV_VERSION_H
#define PYLON_IDV_VERSION_STRING "0.1.0"
#endif
