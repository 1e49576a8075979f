package io.isthmus.runtime.model;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** The indirect-access layout: shared prompt entries, one entry per beam per step, lineages from the history table. */
class KvCacheTest {

    @Test
    void lineagesFollowTheBeamHistory() {
        // prompt of 3 positions, 3 beams, up to 7 positions: entries 0..2 shared, then 3 per step
        KvCache c = KvCache.create(KvCacheType.F32, 1, KvShape.beams(3, 3, 7), 2);
        assertEquals(3 + 3 * 4, c.shape().entries());
        c.advanceBeams(3, new int[] {9, 9, 9}, 0); // first step: parents ignored, all continue the prompt
        for (int b = 0; b < 3; b++) {
            assertEquals(1, c.entryOf(b, 1), "prompt positions are shared");
            assertEquals(3 + b, c.entryOf(b, 3), "each beam's own entry");
        }
        c.advanceBeams(4, new int[] {2, 2, 0}, 0); // beams 0 and 1 continue old beam 2, beam 2 continues old 0
        assertEquals(5, c.entryOf(0, 3));
        assertEquals(5, c.entryOf(1, 3));
        assertEquals(3, c.entryOf(2, 3));
        assertEquals(6, c.entryOf(0, 4));
        assertEquals(7, c.entryOf(1, 4));
        assertEquals(8, c.entryOf(2, 4));
        c.advanceBeams(5, new int[] {1, 2, 2}, 0);
        assertArrayEquals(new int[] {0, 1, 2, 5, 7, 9}, lineage(c, 0, 5), "old beam 1: its parent was old beam 2");
        assertArrayEquals(new int[] {0, 1, 2, 3, 8, 10}, lineage(c, 1, 5));
        assertArrayEquals(new int[] {0, 1, 2, 3, 8, 11}, lineage(c, 2, 5));
        KvCache copy = c.copy();
        assertArrayEquals(lineage(c, 1, 5), lineage(copy, 1, 5));
        assertThrows(IllegalArgumentException.class, () -> c.advanceBeams(7, new int[3], 0), "skipped a position");
        assertThrows(IllegalArgumentException.class, () -> c.advanceBeams(6, new int[] {0, 3, 0}, 0), "parent out of range");
    }

    @Test
    void storedEntriesAreReadBack() {
        KvCache c = KvCache.create(KvCacheType.BF16, 2, KvShape.beams(1, 2, 3), 4);
        c.store(1, 2, new float[] {1, 2, 3, 4}, 0, new float[] {5, 6, 7, 8}, 0);
        assertEquals(1 * 1 + 2 * 2 + 3 * 3 + 4 * 4, c.dotKey(1, 2, 0, new float[] {1, 2, 3, 4}, 0, 4));
        float[] out = new float[2];
        c.addScaledValue(1, 2, 2, 2f, out, 0, 2);
        assertArrayEquals(new float[] {14, 16}, out);
        assertThrows(IndexOutOfBoundsException.class, () -> c.store(0, 5, new float[4], 0, new float[4], 0));
    }

    /** Beam steps read the prompt's keys transposed and its values from blocks copied once; a new prompt replaces them. */
    @Test
    void sharedBlocksFollowTheStoredPrompt() {
        KvCache c = KvCache.create(KvCacheType.F32, 2, KvShape.beams(2, 2, 4), 4); // 2 heads of 2
        c.store(1, 0, new float[] {1, 2, 3, 4}, 0, new float[] {5, 6, 7, 8}, 0);
        c.store(1, 1, new float[] {9, 10, 11, 12}, 0, new float[] {13, 14, 15, 16}, 0);
        float[] keysT = c.sharedKeysTransposed(1, 2, 2, 4); // head 1: key dims 2 and 3, rows padded to 4
        assertArrayEquals(new float[] {3, 11, 0, 0, 4, 12, 0, 0}, keysT);
        assertArrayEquals(new float[] {7, 8, 15, 16}, c.sharedValues(1, 2, 2));
        assertSame(keysT, c.sharedKeysTransposed(1, 2, 2, 4), "copied once");
        c.store(1, 3, new float[] {0, 0, 0, 0}, 0, new float[4], 0); // a beam's own entry: the prompt is unchanged
        assertSame(keysT, c.sharedKeysTransposed(1, 2, 2, 4));
        c.store(1, 1, new float[] {0, 0, -1, -2}, 0, new float[] {0, 0, -3, -4}, 0); // a new prompt
        assertArrayEquals(new float[] {3, -1, 0, 0, 4, -2, 0, 0}, c.sharedKeysTransposed(1, 2, 2, 4));
        assertArrayEquals(new float[] {7, 8, -3, -4}, c.sharedValues(1, 2, 2));
    }

    private static int[] lineage(KvCache c, int beam, int last) {
        int[] e = new int[last + 1];
        for (int p = 0; p <= last; p++) {
            e[p] = c.entryOf(beam, p);
        }
        return e;
    }
}
