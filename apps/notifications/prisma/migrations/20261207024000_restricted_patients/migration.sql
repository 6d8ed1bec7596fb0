-- CreateTable
CREATE TABLE "restricted_patients" (
    "nhs_number" TEXT NOT NULL,
    "restricted" BOOLEAN NOT NULL,
    "version" INTEGER NOT NULL,
    "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "restricted_patients_pkey" PRIMARY KEY ("nhs_number")
);
