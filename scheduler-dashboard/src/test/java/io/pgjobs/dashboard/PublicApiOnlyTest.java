package io.pgjobs.dashboard;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The dashboard is built on pgjobs' public API only (docs/architecture.md): no internal class, no jOOQ. */
class PublicApiOnlyTest {
    @Test
    void theDashboardUsesOnlyThePublicPackages() {
        noClasses().should().dependOnClassesThat().resideInAnyPackage("io.pgjobs.internal..", "org.jooq..")
                .check(new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                        .importPackages("io.pgjobs.dashboard"));
    }
}
