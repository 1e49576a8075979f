package io.isthmus.runtime.cluster;

import io.isthmus.runtime.generate.Generator;
import io.isthmus.runtime.model.KvCacheType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * The wire form of a {@link Step}: a frame of {@link #FRAME_BYTES} bytes, always the whole frame,
 * because a broadcast moves the same number of bytes on every rank and a follower cannot know a
 * step's size before it has it. One frame per step keeps a decode step at one collective.
 *
 * <pre>
 * offset  size  field
 *  0      4     magic "ISTP"
 *  4      4     body length in bytes (4 × token count)
 *  8      1     kind (Step.Kind ordinal)
 *  9      1     flags: bit 0 = all logits
 * 10      1     KV cache type ordinal + 1 (0 = none)
 * 11      1     0
 * 12      8     sequence id
 * 20      4     position
 * 24      4     capacity
 * 28      4     CRC-32C of bytes 0..28 and of the body
 * 32      ...   body: token ids, 4 bytes each
 * </pre>
 * Little-endian. Bytes after the body are ignored.
 */
public final class StepCodec {
    /** Tokens per step: the generator's prefill batch, so a prompt never needs more than one step per batch. */
    public static final int MAX_TOKENS = Generator.PREFILL_BATCH;
    static final int MAGIC = 0x50545349; // "ISTP" read little-endian
    static final int HEADER_BYTES = 32;
    public static final int FRAME_BYTES = HEADER_BYTES + 4 * MAX_TOKENS;
    private static final Step.Kind[] KINDS = Step.Kind.values();
    private static final KvCacheType[] CACHE_TYPES = KvCacheType.values();

    private StepCodec() {
    }

    /** Writes {@code step} into frame[0, FRAME_BYTES). */
    public static void encode(Step step, byte[] frame) {
        ByteBuffer b = frame(frame);
        int[] tokens = step.tokens();
        b.putInt(MAGIC).putInt(4 * tokens.length)
                .put((byte) step.kind().ordinal())
                .put((byte) (step.allLogits() ? 1 : 0))
                .put((byte) (step.cacheType() == null ? 0 : step.cacheType().ordinal() + 1))
                .put((byte) 0)
                .putLong(step.sequence()).putInt(step.position()).putInt(step.capacity());
        b.position(HEADER_BYTES);
        for (int t : tokens) {
            b.putInt(t);
        }
        b.putInt(28, checksum(frame, 4 * tokens.length));
    }

    /** Reads the step in frame[0, FRAME_BYTES); throws {@link IllegalArgumentException} naming what is wrong. */
    public static Step decode(byte[] frame) {
        ByteBuffer b = frame(frame);
        int magic = b.getInt();
        if (magic != MAGIC) {
            throw corrupt("magic " + Integer.toHexString(magic) + " instead of " + Integer.toHexString(MAGIC));
        }
        int bodyBytes = b.getInt();
        if (bodyBytes < 0 || bodyBytes > 4 * MAX_TOKENS || bodyBytes % 4 != 0) {
            throw corrupt("body length " + bodyBytes + " (at most " + 4 * MAX_TOKENS + ", a multiple of 4)");
        }
        int crc = b.getInt(28);
        int expected = checksum(frame, bodyBytes);
        if (crc != expected) {
            throw corrupt("checksum " + Integer.toHexString(crc) + " instead of " + Integer.toHexString(expected));
        }
        int kind = b.get() & 0xff;
        int flags = b.get() & 0xff;
        int cacheType = b.get() & 0xff;
        b.get();
        if (kind >= KINDS.length || flags > 1 || cacheType > CACHE_TYPES.length) {
            throw corrupt("kind " + kind + ", flags " + flags + ", cache type " + cacheType);
        }
        long sequence = b.getLong();
        int position = b.getInt();
        int capacity = b.getInt();
        int[] tokens = new int[bodyBytes / 4];
        b.position(HEADER_BYTES);
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = b.getInt();
        }
        try {
            return new Step(KINDS[kind], sequence, position, tokens, flags == 1, capacity,
                    cacheType == 0 ? null : CACHE_TYPES[cacheType - 1]);
        } catch (IllegalArgumentException e) {
            throw corrupt(e.getMessage());
        }
    }

    private static ByteBuffer frame(byte[] frame) {
        if (frame.length < FRAME_BYTES) {
            throw new IllegalArgumentException("a step frame needs " + FRAME_BYTES + " bytes, got " + frame.length);
        }
        return ByteBuffer.wrap(frame, 0, FRAME_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static int checksum(byte[] frame, int bodyBytes) {
        CRC32C crc = new CRC32C();
        crc.update(frame, 0, 28);
        crc.update(frame, HEADER_BYTES, bodyBytes);
        return (int) crc.getValue();
    }

    private static IllegalArgumentException corrupt(String what) {
        return new IllegalArgumentException("corrupt step frame: " + what);
    }
}
