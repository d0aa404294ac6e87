// Allure 3 configuration of `make report`: one self-contained HTML file (Awesome, singleFile).
// Results and output come from the command line (`allure generate DIR --output DIR`); the
// categories are the ones the rig's pytest plugin (fixtures/allure_rig.py) writes into the
// results as categories.json: Allure 3's Awesome report reads them from here, not from the file.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

const results = process.env.ALLURE_RESULTS ?? "../../reports/allure-results";
const file = join(results, "categories.json");
const categories = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : [];

export default {
  name: process.env.ALLURE_REPORT_NAME ?? "evse-rig: IEC 61851-1 plan",
  categories: {
    rules: categories.map(({ name, matchedStatuses, messageRegex, traceRegex }) => ({
      name,
      ...(matchedStatuses ? { matchedStatuses } : {}),
      ...(messageRegex ? { messageRegex } : {}),
      ...(traceRegex ? { traceRegex } : {}),
    })),
  },
  plugins: {
    awesome: {
      options: {
        singleFile: true,
        reportLanguage: "en",
        groupBy: ["epic", "feature", "story"],
      },
    },
  },
};
