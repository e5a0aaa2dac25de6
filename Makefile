.PHONY: corpus

# Builds the test drivers in corpus/ (x86 and x64) with mingw-w64.
corpus:
	corpus/build.sh
