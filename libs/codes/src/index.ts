export * from './loinc';
export * from './ods';
export * from './snomed';
export * from './ucum';
export * from './record-types';
