import preset from '../../jest.preset.js';

export default {
  ...preset,
  displayName: 'cli',
  moduleNameMapper: {
    // The client's subpath entries, from source like the preset does for package roots.
    '^@quorumkv/client/(node|web)$': '<rootDir>/../client/src/$1.ts',
    ...preset.moduleNameMapper,
  },
};
