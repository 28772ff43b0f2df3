package io.pgjobs.test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The test kit builds on pgjobs' public API only, like an application (docs/architecture.md). */
class PublicApiOnlyTest {
    @Test
    void theKitUsesOnlyThePublicPackages() {
        noClasses().should().dependOnClassesThat().resideInAPackage("io.pgjobs.internal..")
                .check(new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                        .importPackages("io.pgjobs.test"));
    }
}
