package io.pgjobs.spring.boot;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The starter is built on pgjobs' public API only, like the dashboard (docs/architecture.md). */
class PublicApiOnlyTest {
    @Test
    void theAutoConfigurationUsesOnlyThePublicPackages() {
        noClasses().should().dependOnClassesThat().resideInAPackage("io.pgjobs.internal..")
                .check(new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                        .importPackages("io.pgjobs.spring.boot"));
    }
}
