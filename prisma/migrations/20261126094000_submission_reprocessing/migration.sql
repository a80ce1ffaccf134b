-- A finished submission being reprocessed says so (its previous traces stay visible meanwhile),
-- instead of reading `received` like a new upload.
ALTER TYPE "SubmissionStatus" ADD VALUE 'reprocessing';
