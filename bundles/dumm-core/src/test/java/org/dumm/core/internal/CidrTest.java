package org.dumm.core.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.fail;

import org.dumm.api.DummException;
import org.junit.Test;

public class CidrTest {

    @Test
    public void normalizes() {
        assertEquals("10.1.0.10/16", Cidr.normalize("10.1.0.10/16"));
        assertEquals("fec1::10/64", Cidr.normalize("fec1:0:0:0:0:0:0:10/64"));
        assertEquals("fec1::10/64", Cidr.normalize("FEC1::10/64"));
        assertEquals("192.168.0.1/32", Cidr.normalize("192.168.0.1/32"));
    }

    @Test
    public void refusesInvalid() {
        for (String bad : new String[] {"10.1.0.10", "10.1.0.300/16", "10.1.0.1/33", "fec1::1/129", "host/24",
                "10.1.0.1/-1", "/24", "10.1.0.1/", "10.1.0.1/a", "example.com/24"}) {
            try {
                Cidr.normalize(bad);
                fail(bad);
            } catch (DummException e) {
                assertEquals(DummException.Reason.INVALID_ARGUMENT, e.reason());
            }
        }
    }
}
