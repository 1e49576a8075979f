package io.isthmus.numa;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CoreListTest {

    @Test
    void parsesRangesAndSingles() {
        CpuSet s = CoreList.parse("0-3,8, 10-11");
        assertArrayEquals(new int[] {0, 1, 2, 3, 8, 10, 11}, s.toArray());
        assertEquals(7, s.size());
        assertEquals(56, CoreList.parse("0-27,56-83").size());
        assertArrayEquals(new int[] {0, 4, 8}, CoreList.parse("0-8:4").toArray());
        assertTrue(CoreList.parse("").isEmpty());
        assertTrue(CoreList.parse("  \n").isEmpty());
    }

    @Test
    void formatsMaximalRanges() {
        assertEquals("0-27,56-83", CoreList.format(CoreList.parse("56-83,0-27")));
        assertEquals("0-3,8,10-11", CpuSet.of(11, 10, 8, 3, 2, 1, 0).toString());
        assertEquals("5", CpuSet.of(5).toString());
        assertEquals("", CpuSet.of().toString());
    }

    @Test
    void roundTrips() {
        for (String s : new String[] {"0", "0-1", "1,3,5", "0-27,56-83", "2-4,6-9,100"}) {
            assertEquals(s, CoreList.parse(s).toString());
        }
    }

    @Test
    void errorsNameTheBadText() {
        for (String bad : new String[] {"0-", "a", "1,,2", "3-1", "1-x", "0-4:0", "7:2", "99999999"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> CoreList.parse(bad), bad);
            assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CoreList.parse("0-3,x5,7"));
        assertTrue(e.getMessage().contains("x5"), e.getMessage());
    }

    @Test
    void setOperations() {
        CpuSet a = CpuSet.range(0, 3);
        CpuSet b = CpuSet.of(2, 3, 4);
        assertEquals(CpuSet.of(0, 1, 2, 3, 4), a.union(b));
        assertEquals(CpuSet.of(2, 3), a.intersection(b));
        assertEquals(3, a.max());
    }
}
