package org.dumm.nativ.internal;

import org.dumm.nativ.Native;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads the libc binding on a thread of its own as soon as this bundle starts. jnr-ffi generates
 * and loads the binding's class on first use, ~0.3 s of CPU; every Dumm driver needs it, and
 * without this the first driver to activate pays it on the framework's start-level thread,
 * which then starts nothing else. The feature starts this bundle before Karaf's shell and SSH
 * bundles (start level 20), so the load overlaps their start instead.
 */
public final class NativeActivator implements BundleActivator {

    private static final Logger LOG = LoggerFactory.getLogger(NativeActivator.class);

    @Override
    public void start(BundleContext context) {
        Thread loader = new Thread(NativeActivator::load, "dumm-native-load");
        loader.setDaemon(true);
        loader.start();
    }

    @Override
    public void stop(BundleContext context) {
        // nothing to release: the binding lives as long as this bundle's class loader
    }

    private static void load() {
        try {
            Native.libc();
        } catch (Throwable e) {
            // Later users only see "Could not initialize class": the cause is logged here.
            LOG.error("cannot load the C library binding (jnr-ffi); Dumm's drivers will not start", e);
        }
    }
}
