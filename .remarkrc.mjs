// `npm run lint` runs remark over every Markdown file (see .remarkignore) to check links only;
// it never rewrites the files (--no-stdout, no -o).
import remarkValidateLinks from 'remark-validate-links';
import remarkLinksStayInside from './scripts/remark-links-stay-inside.mjs';

export default {
  plugins: [[remarkValidateLinks, { repository: false }], remarkLinksStayInside],
};
