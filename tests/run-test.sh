#!/bin/sh
# Runs one GLib test program with TAP output (see Makefile-tests.am).
exec "$@" --tap
