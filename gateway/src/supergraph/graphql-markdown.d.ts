/** graphql-markdown ships no types; this is the part of its API the reference generator uses. */
declare module 'graphql-markdown' {
  import type { IntrospectionQuery } from 'graphql';

  export interface RenderSchemaOptions {
    title?: string;
    skipTitle?: boolean;
    skipTableOfContents?: boolean;
    prologue?: string;
    epilogue?: string;
    headingLevel?: number;
    /** Types whose fields get their own table-of-contents entries; '*' for all. */
    tocFieldTypes?: string[];
    /** Receives the document one line at a time. */
    printer?: (line: string) => void;
  }

  export function renderSchema(schema: IntrospectionQuery, options?: RenderSchemaOptions): void;
}
