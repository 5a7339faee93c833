//! carrier-sim: an offline simulator of the Chinese carriers' IoT platforms.
