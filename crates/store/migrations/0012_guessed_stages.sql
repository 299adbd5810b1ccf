-- A stage an import created without knowing its order or win probability (a deals file
-- names its stages but not their place in the funnel): the import placed it and spread
-- probabilities evenly, and the reports that lean on either say so until a mapping gives
-- them.
ALTER TABLE stages ADD COLUMN guessed BOOLEAN DEFAULT false;
