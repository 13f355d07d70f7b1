package org.dumm.shell.command;

import java.util.Arrays;
import java.util.Comparator;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;

/**
 * Prints the version and state of every Dumm bundle and whether the Mesh service is up. Needs no
 * Dumm service itself, so it answers even when the mesh failed to start: the launcher's
 * readiness probe.
 */
@Service
@Command(scope = "dumm", name = "version", description = "Versions and states of the Dumm bundles")
public class VersionCommand implements Action {

    @Reference
    BundleContext bundleContext;

    @Override
    public Object execute() {
        System.out.println("Dumm " + bundleContext.getBundle().getVersion());
        Bundle[] dumm = Arrays.stream(bundleContext.getBundles())
                .filter(b -> b.getSymbolicName() != null && b.getSymbolicName().startsWith("dumm-"))
                .sorted(Comparator.comparingLong(Bundle::getBundleId))
                .toArray(Bundle[]::new);
        for (Bundle b : dumm) {
            System.out.printf("%-16s %-18s %s%n", b.getSymbolicName(), b.getVersion(), state(b.getState()));
        }
        // Looked up by name so that this command works (and says so) while core is missing.
        boolean meshUp = bundleContext.getServiceReference("org.dumm.api.Mesh") != null;
        System.out.println("Mesh service: " + (meshUp ? "up" : "not up (scr:list and log:display tell why)"));
        return null;
    }

    private static String state(int state) {
        return switch (state) {
            case Bundle.ACTIVE -> "Active";
            case Bundle.RESOLVED -> "Resolved";
            case Bundle.INSTALLED -> "Installed";
            case Bundle.STARTING -> "Starting";
            case Bundle.STOPPING -> "Stopping";
            default -> "Uninstalled";
        };
    }
}
