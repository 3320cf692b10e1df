"""What SMPP binds and CMPP links share: supervision and backoff, the stream session
and its window, submit pacing, long-MO reassembly, and the gateway skeleton."""
