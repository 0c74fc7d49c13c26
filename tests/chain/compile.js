#!/usr/bin/env node
// Compiles Solidity files with the solc-js pinned in tests/chain/package.json (no compiler download).
//
// Usage: node tests/chain/compile.js <out.json> <file.sol>...
//
// Each file is a source unit keyed by its basename; imports ("./Other.sol" or "Other.sol") are read from the
// directories of the files being compiled. Any error-severity diagnostic fails the run (exit 1, stderr).
// The output maps every contract name to {abi, bytecode, deployedBytecode} (hex strings with 0x).
"use strict";

const fs = require("fs");
const path = require("path");
const solc = require(path.join(__dirname, "node_modules", "solc"));

const SETTINGS = {
  optimizer: { enabled: true, runs: 200 },
  // ganache 7.9.2 knows hardforks up to shanghai: paris leaves out PUSH0 (and cancun's MCOPY / TSTORE).
  evmVersion: "paris",
  metadata: { bytecodeHash: "none", appendCBOR: false },
  outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
};

function main(argv) {
  if (argv.length < 2) {
    process.stderr.write("usage: node compile.js <out.json> <file.sol>...\n");
    return 1;
  }
  const [outPath, ...files] = argv;
  const sources = {};
  const directories = [];
  for (const file of files) {
    const absolute = path.resolve(file);
    const key = path.basename(absolute);
    if (key in sources) {
      process.stderr.write(`two source files share the basename ${key}\n`);
      return 1;
    }
    sources[key] = { content: fs.readFileSync(absolute, "utf8") };
    const directory = path.dirname(absolute);
    if (!directories.includes(directory)) directories.push(directory);
  }

  // Import callback: "./OwnedWallet.sol" and "OwnedWallet.sol" are looked up in the compiled files' directories.
  function findImports(importPath) {
    for (const directory of directories) {
      const candidate = path.resolve(directory, importPath);
      if (fs.existsSync(candidate)) return { contents: fs.readFileSync(candidate, "utf8") };
    }
    return { error: `import not found: ${importPath} (searched ${directories.join(", ")})` };
  }

  const input = { language: "Solidity", sources, settings: SETTINGS };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));

  // Warnings are shown (on stderr) but do not fail the run; any error does.
  const diagnostics = output.errors || [];
  for (const diagnostic of diagnostics) process.stderr.write(`${diagnostic.formattedMessage || diagnostic.message}\n`);
  if (diagnostics.some((diagnostic) => diagnostic.severity === "error")) return 1;

  const contracts = {};
  for (const [unit, unitContracts] of Object.entries(output.contracts || {})) {
    // Imported files that were not named on the command line are compiled (and written) too.
    for (const [name, contract] of Object.entries(unitContracts)) {
      if (name in contracts) {
        process.stderr.write(`contract ${name} is defined twice (again in ${unit})\n`);
        return 1;
      }
      contracts[name] = {
        abi: contract.abi,
        bytecode: `0x${contract.evm.bytecode.object}`,
        deployedBytecode: `0x${contract.evm.deployedBytecode.object}`,
      };
    }
  }
  fs.writeFileSync(outPath, `${JSON.stringify(contracts, null, 2)}\n`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
